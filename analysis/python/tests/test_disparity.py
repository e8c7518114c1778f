"""Where the disparity arises, in the package: a decomposed run with
populations and sampled Shapley orders (nine stages that treat the groups
differently) reads with every checksum checked; each of its datasets has a
checksum and each named axis its dimension scale (the /disparity tables and
the lists of /scenario included); the decomposition's variants are kept out
of the variants compared; the figures and the page's section are drawn."""

import os

import h5py
import pytest

import casesim
import casesim.figures
from casesim.figures import disparity
from conftest import run_casesim

PNG = b"\x89PNG\r\n\x1a\n"


def nine_stages():
    lines = ["casesim: 1", "name: nine",
             "time: {warmup_years: 0, cohort_years: 1, follow_up_years: 1}",
             "run: {seed: 3, decompose: true}", "groups:",
             "  - {name: a, incidents_per_year: 300, population: {value: 1.0e6, source: census}}",
             "  - {name: b, incidents_per_year: 300, population: {value: 2.5e5, source: census}}",
             "violations: [{name: death, share: 1, well_founded: 0.6}]", "stages:"]
    for i in range(9):
        lines.append(f"  - name: s{i}")
        if i == 0:
            lines.append("    entry: true")
        lines += ["    branches:",
                  f"      - {{to: {f's{i + 1}' if i < 8 else 'won'}, p: {{a: 0.9, b: {0.8 - 0.02 * i:.2f}}}}}",
                  "      - {to: lost}"]
    lines += ["outcomes:", "  won: {accountability: criminal}", "  lost: {redress: true}"]
    return "\n".join(lines) + "\n"


@pytest.fixture(scope="module")
def decomposed(tmp_path_factory):
    d = tmp_path_factory.mktemp("decomposed")
    yaml = d / "nine.yaml"
    yaml.write_text(nine_stages())
    path = str(d / "nine.h5")
    run_casesim("run", str(yaml), "-o", path, "-n", "3", "-q")
    return path


def test_every_dataset_has_a_checksum_and_its_scales(decomposed):
    with casesim.open(decomposed, verify=True) as res:
        f = res.file
        assert "decomposition_orders" in f["scenario"]
        assert {"relative_rates", "decomposition", "exposure"} <= set(f["disparity"])
        seen = []

        def check(name, obj):
            if not isinstance(obj, h5py.Dataset):
                return
            seen.append(name)
            vstring = h5py.check_string_dtype(obj.dtype) is not None
            strings = vstring or any(h5py.check_string_dtype(obj.dtype[c]) is not None
                                     for c in (obj.dtype.names or ()))
            if not vstring:
                assert obj.fletcher32, f"{name}: no Fletcher32"
            if strings:
                assert "strings_crc32" in obj.attrs, f"{name}: no strings_crc32"
            if "dimensions" in obj.attrs and obj.attrs.get("CLASS") != b"DIMENSION_SCALE":
                for i in range(obj.ndim):
                    assert len(obj.dims[i]) == 1, f"{name}: axis {i} has no dimension scale"
        f.visititems(check)
        assert "scenario/decomposition_orders" in seen and "disparity/exposure" in seen


def test_decomposition_variants_are_not_compared(decomposed):
    with casesim.open(decomposed) as res:
        kinds = res.variant_info.kind
        assert res.variants == ["baseline"]
        assert len(res.all_variants) > 1
        assert all(kinds[v] == "decomposition" for v in res.all_variants[1:])
        dis = disparity.of(res)
        assert dis.how == "sampled" and dis.permutations > 0 and len(dis.stages) == 9


def test_figures_and_section(decomposed, tmp_path):
    out = str(tmp_path / "figs")
    assert casesim.figures.main([decomposed, "-o", out]) == 0
    for name in ("relative_rates", "waterfall"):
        with open(os.path.join(out, name + ".png"), "rb") as fh:
            assert fh.read(8) == PNG
    page = open(os.path.join(out, "report.html"), encoding="utf-8").read()
    assert "4. Where the disparity arises" in page and "Shapley share" in page
    assert "Exposure per population" in page and "census" in page
    assert "equalised_" not in page.split("Where the disparity arises")[0]
