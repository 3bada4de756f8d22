"""report.html renders in a real browser: headless Chromium (Debian `chromium`, installed by
scripts/setup.sh) loads the page from disk, with no network, and
  * the DOM holds the charts (the page's only script counts them into #status), and
  * the console shows no script error, and
  * the screenshot is not blank: it holds the roofline's DRAM points (red).
Screenshots go to pytest's tmp directory, never into the repository."""

import re
import shutil
import subprocess

import pytest

from conftest import ROOT

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage"]

pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed (scripts/setup.sh installs it)")


def chromium(*args, timeout=120):
    return subprocess.run([CHROMIUM, *FLAGS, *args], capture_output=True, text=True, timeout=timeout)


@pytest.fixture(scope="module")
def report_html(tmp_path_factory, xpusim):
    out = tmp_path_factory.mktemp("html")
    r = xpusim("run", "-c", ROOT / "configs" / "gpu" / "a100.textproto", "-w",
               ROOT / "traces" / "workloads" / "gemm_fp16_256.textproto", "-o", out, "--quiet", "--timing-only")
    assert r.returncode == 0, r.stderr
    return out / "report.html"


def test_report_html_has_charts_and_no_script_error(report_html):
    r = chromium("--enable-logging=stderr", "--v=0", "--dump-dom", report_html.as_uri())
    assert r.returncode == 0, r.stderr[-2000:]
    dom = r.stdout
    m = re.search(r'id="status"[^>]*data-rendered="(\d+)"', dom) or re.search(r'data-rendered="(\d+)"[^>]*id="status"', dom)
    assert m, "the page's script did not run (no data-rendered on #status)"
    assert int(m.group(1)) >= 4  # roofline, energy, stall reasons, traffic
    assert "<svg" in dom and 'id="roofline"' in dom
    errors = [l for l in r.stderr.splitlines() if "Uncaught" in l or ("CONSOLE" in l and "rror" in l)]
    assert not errors, errors


def test_report_html_screenshot_shows_the_roofline(report_html, tmp_path):
    import matplotlib.image

    shot = tmp_path / "report.png"
    r = chromium(f"--screenshot={shot}", "--window-size=1200,1400", "--hide-scrollbars", report_html.as_uri())
    assert r.returncode == 0 and shot.exists(), r.stderr[-2000:]
    img = matplotlib.image.imread(str(shot))  # floats in [0, 1], RGB(A)
    assert img.shape[0] >= 1000 and img.shape[1] >= 1000
    rgb = img[..., :3]
    assert (rgb < 0.9).any(axis=2).mean() > 0.01, "the page is blank"
    # DRAM points and roof are drawn in #d62728 (214, 39, 40)
    red = (abs(rgb[..., 0] - 214 / 255) < 0.05) & (abs(rgb[..., 1] - 39 / 255) < 0.05) & (abs(rgb[..., 2] - 40 / 255) < 0.05)
    assert red.sum() > 30, "no roofline DRAM points on the screenshot"
