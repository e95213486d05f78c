"""The bundled hardware catalog: its figures, lookups by name and date, and scenario overrides."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from pydantic import ValidationError

from simdemand.catalog import Catalog, Hardware, load_catalog


def entry(name: str, available: dt.date, bf16: float = 1e15, **extra: Any) -> Hardware:
    """A complete Hardware record with made-up figures."""
    fields: dict[str, Any] = {
        "name": name,
        "bf16_flop_per_s": bf16,
        "hbm_bytes": 80e9,
        "hbm_bytes_per_s": 3e12,
        "tdp_w": 700.0,
        "available": available,
        "usd_per_gpu_hour": 2.0,
        "source": "test",
    }
    return Hardware(**(fields | extra))


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    """The bundled catalog."""
    return load_catalog()


def test_bundled_entries_are_present_and_sorted(catalog: Catalog) -> None:
    required = {"A100-80GB", "H100-SXM", "H800-SXM", "H200-SXM", "B200", "GB200", "MI300X", "V100"}
    assert required <= set(catalog.names)
    assert list(catalog.names) == sorted(catalog.names)
    assert list(catalog) == list(catalog.names)
    assert len(catalog) == len(catalog.names)


def test_every_entry_states_its_source(catalog: Catalog) -> None:
    for name in catalog:
        assert len(catalog[name].source) > 40, name


# Dense peaks (FLOP/s), HBM (B), bandwidth (B/s), TDP (W) from Epoch AI and vendor sheets.
TABLE = [
    ("A100-80GB", 312e12, None, 80e9, 2.04e12, 400),
    ("H100-SXM", 989e12, 1979e12, 80e9, 3.35e12, 700),
    ("H800-SXM", 989e12, 1979e12, 80e9, 3.35e12, 700),
    ("H200-SXM", 989e12, 1979e12, 141e9, 4.8e12, 700),
    ("B200", 2250e12, 4500e12, 180e9, 8.0e12, 1000),
    ("GB200", 2500e12, 5000e12, 186e9, 8.0e12, 1200),
    ("MI300X", 1307e12, 2615e12, 192e9, 5.3e12, 750),
    ("V100", 125e12, None, 32e9, 0.9e12, 300),
]


@pytest.mark.parametrize(("name", "bf16", "fp8", "hbm", "bw", "tdp"), TABLE)
def test_figures_match_the_reference_table(
    catalog: Catalog, name: str, bf16: float, fp8: float | None, hbm: float, bw: float, tdp: float
) -> None:
    hw = catalog[name]
    assert hw.bf16_flop_per_s == pytest.approx(bf16, rel=1e-3)
    if fp8 is None:
        assert hw.fp8_flop_per_s is None
    else:
        assert hw.fp8_flop_per_s == pytest.approx(fp8, rel=1e-3)
    assert hw.hbm_bytes == pytest.approx(hbm, rel=1e-3)
    assert hw.hbm_bytes_per_s == pytest.approx(bw, rel=5e-3)
    assert hw.tdp_w == tdp


def test_reference_prices_follow_the_market_reports(catalog: Catalog) -> None:
    assert catalog["H100-SXM"].usd_per_gpu_hour == 2.95
    assert catalog["H200-SXM"].usd_per_gpu_hour == 4.5
    assert catalog["B200"].usd_per_gpu_hour == 6.0
    assert 1.29 <= catalog["A100-80GB"].usd_per_gpu_hour <= 5.12


def test_peak_flop_per_s_by_precision(catalog: Catalog) -> None:
    h100 = catalog["H100-SXM"]
    assert h100.peak_flop_per_s("bf16") == 989e12
    assert h100.peak_flop_per_s("fp8") == 1979e12


@pytest.mark.parametrize("name", ["A100-80GB", "V100"])
def test_fp8_on_hardware_without_it_is_a_clear_error(catalog: Catalog, name: str) -> None:
    with pytest.raises(ValueError, match=rf"{name} has no FP8 tensor cores; use precision 'bf16'"):
        catalog[name].peak_flop_per_s("fp8")


def test_unknown_name_lists_the_known_ones(catalog: Catalog) -> None:
    with pytest.raises(KeyError, match=r"unknown hardware 'H300'; known: A100-80GB, B200"):
        catalog["H300"]
    assert "H300" not in catalog
    assert "H100-SXM" in catalog
    assert 3 not in catalog


def test_newest_available_picks_the_latest_released(catalog: Catalog) -> None:
    # Available by 2023-06-01: V100 (2017), A100 (2020-11), TPU-v4 (2021-05), H100 (2022-09),
    # H800 (2023-03-21) -> H800.
    assert catalog.newest_available(dt.date(2023, 6, 1)).name == "H800-SXM"
    # A 180-day lag needs available <= 2022-12-03: H100 (2022-09-20).
    assert catalog.newest_available(dt.date(2023, 6, 1), lag_days=180).name == "H100-SXM"
    # On the exact day of availability plus lag it counts as available.
    assert catalog.newest_available(dt.date(2022, 9, 20)).name == "H100-SXM"
    assert catalog.newest_available(dt.date(2022, 9, 19)).name == "TPU-v4"


def test_newest_available_among_a_subset(catalog: Catalog) -> None:
    nvidia = ["A100-80GB", "V100"]
    assert catalog.newest_available(dt.date(2030, 1, 1), among=nvidia).name == "A100-80GB"
    assert catalog.newest_available(dt.date(2019, 1, 1), among=nvidia).name == "V100"
    with pytest.raises(KeyError, match="unknown hardware 'X1'"):
        catalog.newest_available(dt.date(2030, 1, 1), among=["X1"])


def test_newest_available_fails_before_any_hardware(catalog: Catalog) -> None:
    with pytest.raises(LookupError, match="no hardware available by 2016-01-01"):
        catalog.newest_available(dt.date(2016, 1, 1))
    with pytest.raises(LookupError, match="among V100"):
        catalog.newest_available(dt.date(2017, 7, 1), lag_days=30, among=["V100"])
    with pytest.raises(ValueError, match="lag_days"):
        catalog.newest_available(dt.date(2025, 1, 1), lag_days=-1)


def test_newest_available_ties_go_to_higher_peak_then_name() -> None:
    day = dt.date(2024, 1, 1)
    cat = Catalog([entry("zeta", day, 2e15), entry("alpha", day, 1e15), entry("beta", day, 1e15)])
    assert cat.newest_available(day).name == "zeta"
    assert cat.newest_available(day, among=["beta", "alpha"]).name == "alpha"


def test_with_entries_overrides_a_known_entry_partially(catalog: Catalog) -> None:
    cheaper = catalog.with_entries({"H100-SXM": {"usd_per_gpu_hour": 1.5}})
    assert cheaper["H100-SXM"].usd_per_gpu_hour == 1.5
    assert cheaper["H100-SXM"].bf16_flop_per_s == catalog["H100-SXM"].bf16_flop_per_s
    assert catalog["H100-SXM"].usd_per_gpu_hour == 2.95  # the original is untouched
    assert cheaper.names == catalog.names


def test_with_entries_adds_a_complete_new_entry(catalog: Catalog) -> None:
    new = {
        "bf16_flop_per_s": 5e15,
        "fp8_flop_per_s": 1e16,
        "hbm_bytes": 288e9,
        "hbm_bytes_per_s": 8e12,
        "tdp_w": 1400.0,
        "available": dt.date(2026, 1, 1),
        "usd_per_gpu_hour": 8.0,
        "source": "scenario assumption",
    }
    bigger = catalog.with_entries({"X300": new})
    assert bigger["X300"].peak_flop_per_s("fp8") == 1e16
    assert bigger["X300"].gpus_per_node == 8
    assert len(bigger) == len(catalog) + 1
    assert bigger.newest_available(dt.date(2026, 6, 1)).name == "X300"
    assert "X300" not in catalog


def test_with_entries_rejects_an_incomplete_new_entry(catalog: Catalog) -> None:
    with pytest.raises(ValidationError) as info:
        catalog.with_entries({"X1": {"bf16_flop_per_s": 1e15, "tdp_w": 500.0}})
    missing = {err["loc"][0] for err in info.value.errors() if err["type"] == "missing"}
    assert missing == {"hbm_bytes", "hbm_bytes_per_s", "available", "usd_per_gpu_hour", "source"}


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("tdp_w", -1.0),
        ("tdp_w", float("nan")),
        ("bf16_flop_per_s", True),
        ("bf16_flop_per_s", "1e15"),
        ("gpus_per_node", 0),
        ("available", "not a date"),
        ("source", ""),
        ("colour", "green"),
    ],
)
def test_with_entries_rejects_bad_values(catalog: Catalog, field: str, value: object) -> None:
    with pytest.raises(ValidationError):
        catalog.with_entries({"H100-SXM": {field: value}})


def test_with_entries_rejects_a_mismatched_name(catalog: Catalog) -> None:
    with pytest.raises(ValueError, match="its 'name' field says 'H200-SXM'"):
        catalog.with_entries({"H100-SXM": {"name": "H200-SXM"}})


def test_hardware_is_frozen(catalog: Catalog) -> None:
    with pytest.raises(ValidationError):
        catalog["H100-SXM"].tdp_w = 1.0


def test_duplicate_names_are_rejected() -> None:
    day = dt.date(2024, 1, 1)
    with pytest.raises(ValueError, match="'a' appears twice"):
        Catalog([entry("a", day), entry("a", day)])


# Roadmap rows added for issue 14 (dense, per package): BF16, FP8, FP4, HBM (B), bandwidth
# (B/s), availability, and a phrase of the primary source the row must cite.
NEW_ROADMAP = [
    ("MI455X", 5e15, 10e15, 20e15, 432e9, 19.6e12, dt.date(2026, 9, 1), "Advancing AI"),
    (
        "Trainium3",
        671e12,
        2517e12,
        2517e12,
        144 * 2**30,
        4.9e12,
        dt.date(2025, 12, 2),
        "Trainium3 Architecture",
    ),
]


@pytest.mark.parametrize(
    ("name", "bf16", "fp8", "fp4", "hbm", "bw", "available", "cited"), NEW_ROADMAP
)
def test_new_roadmap_rows_match_their_sources(
    catalog: Catalog,
    name: str,
    bf16: float,
    fp8: float,
    fp4: float,
    hbm: float,
    bw: float,
    available: dt.date,
    cited: str,
) -> None:
    """MI455X: AMD's 40/20 PF FP4/FP8 headline read as 2x dense (as MI355X's); Trainium3: AWS
    Neuron docs (one MXFP8/MXFP4 rate, 144 GiB); each row off the default line."""
    hw = catalog[name]
    assert hw.bf16_flop_per_s == pytest.approx(bf16, rel=1e-3)
    assert hw.peak_flop_per_s("fp8") == pytest.approx(fp8, rel=1e-3)
    assert hw.peak_flop_per_s("fp4") == pytest.approx(fp4, rel=1e-3)
    assert hw.hbm_bytes == pytest.approx(hbm, rel=1e-3)
    assert hw.hbm_bytes_per_s == pytest.approx(bw, rel=1e-3)
    assert hw.available == available
    assert cited in hw.source
    assert not hw.default_choice


def test_fp4_only_where_published(catalog: Catalog) -> None:
    """FP4 tensor cores from Blackwell, CDNA 4 and Trainium3 on; none on Hopper, MI300X,
    TPU7x (not published) or Trainium2."""
    with_fp4 = {n for n in catalog.names if catalog[n].fp4_flop_per_s is not None}
    published = {"B200", "GB200", "B300", "GB300", "Rubin", "Rubin-Ultra", "MI355X", "MI455X"}
    assert published | {"Trainium3"} <= with_fp4
    for name in ("H100-SXM", "H200-SXM", "MI300X", "TPU7x", "Trainium2"):
        assert name not in with_fp4
