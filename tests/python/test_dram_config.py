"""gpu.dram.preset: the loader merges the config over the preset file, and bad DRAM input
(missing preset, unknown field inside it, impossible timings, bad mapping) is exit code 2
with the file, line and column at fault. Also the hidden `dram-stream` benchmark command."""

import json

import pytest

from conftest import ROOT

A100 = ROOT / "configs" / "gpu" / "a100.textproto"
PRESETS = ROOT / "configs" / "memory"


def write(tmp_path, name, text):
    p = tmp_path / name
    p.write_text(text)
    return p


def config(tmp_path, dram_body):
    return write(tmp_path, "c.textproto", f'base: "{A100}"\ngpu {{\n  dram {{\n{dram_body}\n  }}\n}}\n')


def stream(xpusim, cfg, *extra):
    r = xpusim("dram-stream", "-c", cfg, "--lines", "4000", *extra)
    assert r.returncode == 0, r.stderr
    return json.loads(r.stdout)


def test_preset_is_merged_under_the_config(xpusim, tmp_path):
    base = stream(xpusim, config(tmp_path, f'    preset: "{PRESETS}/hbm2e.textproto"'))
    assert base["peak_gbps"] == pytest.approx(2039.0, abs=0.1)
    # a scalar set in the config wins over the preset (here: half the stacks)
    half = stream(xpusim, config(tmp_path, f'    preset: "{PRESETS}/hbm2e.textproto"\n    stacks: 2\n'
                                           '    bus_width_bits: 2048'))
    assert half["peak_gbps"] == pytest.approx(2039.0 * 2 / 5, abs=0.1)


def test_preset_path_is_relative_to_the_file_naming_it(xpusim, tmp_path):
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "my_hbm.textproto").write_text((PRESETS / "hbm2e.textproto").read_text())
    r = stream(xpusim, config(tmp_path, '    preset: "sub/my_hbm.textproto"'))
    assert r["peak_gbps"] == pytest.approx(2039.0, abs=0.1)


@pytest.mark.parametrize("body, where, message", [
    ('    preset: "nope.textproto"', "c.textproto:4:5", 'gpu.dram.preset: "nope.textproto" not found'),
    (f'    preset: "{PRESETS}/hbm2e.textproto"\n    timing {{ rc: 10 }}', "c.textproto:5:14",
     "gpu.dram.timing.rc: tRC (10) is shorter than tRAS + tRP (55 + 23)"),
    (f'    preset: "{PRESETS}/hbm2e.textproto"\n    org {{ bank_groups: 0 }}', "c.textproto:5:11",
     "gpu.dram.org.bank_groups: must be at least 1, got 0"),
    (f'    preset: "{PRESETS}/hbm2e.textproto"\n    controller {{ address_mapping: "ro-ba-bg-co-ch" }}',
     "c.textproto:5:18", "field 'pc' missing"),
    (f'    preset: "{PRESETS}/hbm2e.textproto"\n    controller {{ address_mapping: "ro-ba-bg-co-pc-ch-zz" }}',
     "c.textproto:5:18", "unknown field 'zz'"),
    (f'    preset: "{PRESETS}/hbm2e.textproto"\n    data_rate_mtps: 2430', "hbm2e.textproto:",
     "gpu.dram.timing.tck_ps: 628 ps, but data_rate_mtps 2430"),
])
def test_bad_dram_config_is_exit_2_with_location(xpusim, tmp_path, body, where, message):
    r = xpusim("dram-stream", "-c", config(tmp_path, body))
    assert r.returncode == 2, r.stderr
    assert where in r.stderr and message in r.stderr, r.stderr


def test_errors_inside_the_preset_point_into_the_preset(xpusim, tmp_path):
    write(tmp_path, "bad.textproto", 'kind: "HBM2"\norg { rowz: 3 }\n')
    r = xpusim("dram-stream", "-c", config(tmp_path, '    preset: "bad.textproto"'))
    assert r.returncode == 2
    assert "bad.textproto:2:7" in r.stderr and 'unknown field "rowz"' in r.stderr
    write(tmp_path, "bad.textproto", 'kind: "HBM2"\norg { rows: }\n')
    r = xpusim("dram-stream", "-c", config(tmp_path, '    preset: "bad.textproto"'))
    assert r.returncode == 2 and "bad.textproto:2:" in r.stderr


def test_dram_stream_patterns(xpusim):
    res = {}
    for pat in ("sequential", "random-lines", "random-sectors"):
        r = xpusim("dram-stream", "--preset", PRESETS / "hbm2.textproto", "--pattern", pat, "--lines", "6000")
        assert r.returncode == 0, r.stderr
        res[pat] = json.loads(r.stdout)
    assert 0.90 <= res["sequential"]["efficiency"] <= 0.95
    assert res["random-sectors"]["efficiency"] < 0.6 * res["sequential"]["efficiency"]
    r = xpusim("dram-stream", "--preset", PRESETS / "hbm2.textproto", "--pattern", "zigzag")
    assert r.returncode == 2 and "--pattern 'zigzag'" in r.stderr
