"""The App in a real browser (issue 15): Debian's Chromium driven by Selenium against
FiftyOne's App server on 127.0.0.1, on a dataset the tests make. Each correction made in
the Identities panel is checked in the database afterwards. Screenshots go to
``tests/screenshots/`` (``VFC_SCREENSHOTS`` to change)."""
from __future__ import annotations

import subprocess
import time

import pytest

from . import browser

pytestmark = [pytest.mark.browser, pytest.mark.skipif(browser.missing() is not None,
                                                      reason=str(browser.missing()))]

fo = pytest.importorskip("fiftyone")

import fiftyone.operators as foo  # noqa: E402
from fiftyone.operators.delegated import DelegatedOperationService  # noqa: E402

from fiftyone_plugin import api  # noqa: E402

from .conftest import add_videos  # noqa: E402


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    # a queue unserved for 3 s already counts as having no worker (60 s for users)
    server = browser.AppServer(tmp_path_factory.mktemp("app") / "server.log",
                               env={"VFC_NO_WORKER_AFTER_S": "3"})
    page = browser.Browser()
    yield server, page
    page.quit()
    server.stop()


@pytest.fixture(scope="module")
def faces(two_shot_video, tmp_path_factory):
    """Obama alone (shot 1), then Biden beside Obama again (shot 2): two identities,
    Obama's of two tracks. In H.264, which Chromium plays (the fixtures are mp4v)."""
    h264 = tmp_path_factory.mktemp("h264") / "two_shots.mp4"
    subprocess.run(["ffmpeg", "-loglevel", "error", "-i", two_shot_video, "-c:v", "libx264",
                    "-pix_fmt", "yuv420p", "-crf", "12", str(h264)], check=True)
    ds = fo.Dataset()
    ds.persistent = True  # the App server is another process
    add_videos(ds, h264)
    api.find_identities(ds, frame_stride=2)
    yield ds
    ds.delete()


def _tracks_by_identity(ds) -> dict[str, set[int]]:
    """``{label: {track}}`` as written in the dataset's identities field."""
    ds.reload()
    out: dict[str, set[int]] = {}
    labels, index = ds.values(["frames.identities.detections.label",
                               "frames.identities.detections.index"], unwind=False)
    for vl, vi in zip(labels, index):
        for fl, fi in zip(vl, vi):
            for lab, t in zip(fl or [], fi or []):
                out.setdefault(lab, set()).add(t)
    return out


def _open_panel(page, server, ds) -> None:
    page.open(f"{server.url}/datasets/{ds.name}")
    try:  # the App keeps a panel open from one visit to the next
        page.cy("panel-tab-identities", timeout=5)
    except TimeoutError:
        page.cy("new-panel-btn").click()
        page.cy("new-panel-option-identities").click()
    page.text("Clustering run", tag="p")


def test_panel_rename_split_merge_undo(app, faces):
    server, page = app
    _open_panel(page, server, faces)
    before = _tracks_by_identity(faces)
    obama = before["id_000"]
    assert len(obama) == 2 and len(before["id_001"]) == 1
    page.wait(lambda: page.driver.find_elements("css selector", "[data-cy=fo-grid] canvas"),
              what="the grid's thumbnail")
    page.screenshot("identities-panel")
    # the raw faces are hidden by default, the identities shown
    checked = {name: page.cy(f"checkbox-{name}").find_element("css selector", "input")
               .is_selected() for name in ("frames.faces", "frames.identities")}
    assert checked == {"frames.faces": False, "frames.identities": True}

    # rename: the label becomes the name, the id stays as an attribute
    page.button("Open").click()  # the first card: most faces, id_000
    page.input("Name").send_keys("Barack")
    page.wait(lambda: page.input("Name").get_attribute("value") == "Barack")
    page.button("Rename").click()
    page.page_has("Barack (id_000)")
    after = _tracks_by_identity(faces)
    assert after["Barack"] == obama and "id_000" not in after
    assert set(faces.distinct("frames.identities.detections.identity")) == {"id_000",
                                                                             "id_001"}
    page.screenshot("identity-opened")

    # split: the second track of Barack becomes an identity of its own
    page.wait(lambda: len(page.driver.find_elements(
        "xpath", "//button[.//p[normalize-space(text())='Split off']]")) == 2)
    page.driver.find_elements(
        "xpath", "//button[.//p[normalize-space(text())='Split off']]")[1].click()
    page.wait(lambda: len(_tracks_by_identity(faces).get("Barack", ())) == 1,
              what="the split in the database")
    after = _tracks_by_identity(faces)
    (moved,) = obama - after["Barack"]
    new = next(lab for lab, t in after.items() if t == {moved})
    assert new not in ("Barack", "id_001") and len(after) == 3

    # merge it back, from the new identity's page
    page.button("Back to identities").click()
    page.text(new)
    card = page.text(new).find_element("xpath", "ancestor::div[.//button][1]/..")
    page.button("Open", within=card).click()
    page.text(new, tag="h3")
    _choose(page, "Merge with", "Barack (id_000)")
    page.button("Merge").click()
    page.wait(lambda: _tracks_by_identity(faces).get("Barack") == obama,
              what="the merge in the database")
    assert set(_tracks_by_identity(faces)) == {"Barack", "id_001"}
    log = faces.load_run_results(api.DEFAULT_RUN_KEY, cache=False).corrections
    assert [e["op"] for e in log] == ["rename", "move", "merge"]

    # undo the merge: the split is back
    page.button("Undo last correction").click()
    page.wait(lambda: len(_tracks_by_identity(faces)) == 3, what="the undo in the database")
    assert _tracks_by_identity(faces)["Barack"] == obama - {moved}
    log = faces.load_run_results(api.DEFAULT_RUN_KEY, cache=False).corrections
    assert [e["op"] for e in log] == ["rename", "move"]
    page.page_has("3 identities")
    page.screenshot("identities-after-undo")

    # review: "same person?" for the split-off track and Barack; "Same" merges, re-clusters
    page.button("Ask about uncertain pairs").click()
    (question,) = [q for q in api.review_questions(faces) if {q["a"], q["b"]} == {"id_000", new}]
    row = page.text(f"{question['a_name'] or question['a']} / "
                    f"{question['b_name'] or question['b']}").find_element("xpath", "../../..")
    page.button("Same", within=row).click()
    page.page_has("2 identities")  # merged, then clustered again (the run is re-saved)
    page.wait(lambda: _tracks_by_identity(faces).get("Barack") == obama,
              what="the answer in the database")
    log = page.wait(lambda: faces.load_run_results(api.DEFAULT_RUN_KEY, cache=False)
                    .corrections, what="the re-clustered run")
    assert [e["op"] for e in log] == ["rename", "move", "merge"]


def test_clips_view_shows_one_identity(app, faces):
    server, page = app
    _open_panel(page, server, faces)
    card = page.text("id_001").find_element("xpath", "ancestor::div[.//button][1]/..")
    page.button("Clips", within=card).click()
    page.page_has("1 clip")  # Biden: one track in shot 2
    page.screenshot("identity-clips")
    page.button("Show all videos").click()
    page.page_has("1 sample")


def test_track_map_in_the_embeddings_panel(app, faces):
    server, page = app
    _open_panel(page, server, faces)
    page.button("Track map").click()
    page.wait(lambda: faces.reload() or "face_identities_map" in faces.list_brain_runs(),
              what="the brain run")
    page.page_has("3 clips")  # one per track
    from selenium.webdriver.common.action_chains import ActionChains

    # the panel's own map, in the identities' colours: select one point, get its clip
    page.page_has("Track map: 3 tracks")
    points = page.wait(lambda: [p for p in page.driver.find_elements(
        "css selector", ".js-plotly-plot .scatterlayer path.point") if p.is_displayed()],
        what="the map's points")
    assert len(points) == 3
    page.screenshot("track-map")

    def select_first_point():
        # a box drawn around one point, in small steps as a hand would (Plotly needs moves);
        # the plot in view first: the panel above it may be long
        page.driver.execute_script("arguments[0].scrollIntoView({block: 'center'})",
                                   page.driver.find_element("css selector", ".js-plotly-plot"))
        time.sleep(0.5)
        point = page.driver.find_elements(
            "css selector", ".js-plotly-plot .scatterlayer path.point")[0].rect
        drag = page.driver.find_element("css selector", ".js-plotly-plot .nsewdrag")
        x = point["x"] + point["width"] / 2 - drag.rect["x"] - drag.rect["width"] / 2
        y = point["y"] + point["height"] / 2 - drag.rect["y"] - drag.rect["height"] / 2
        chain = ActionChains(page.driver).move_to_element_with_offset(drag, int(x - 15),
                                                                      int(y - 15))
        chain.click_and_hold()
        for _ in range(6):
            chain.move_by_offset(5, 5).pause(0.05)
        chain.release().perform()
        page.page_has("1 clip", timeout=10)
        # under load the release can also reach Plotly as a click, which clears the
        # selection (and the grid goes back to 3 clips) a moment later: it must hold
        time.sleep(2)
        return page.page_has("1 clip", timeout=5)

    time.sleep(1)  # the plot settles after its first render
    for attempt in range(3):
        try:
            select_first_point()
            break
        except TimeoutError:
            if attempt == 2:
                raise
    page.page_has("3 tracks")


def test_operators_show_the_plugin_icon(app, faces):
    server, page = app
    page.open(f"{server.url}/datasets/{faces.name}")
    page.driver.find_element("tag name", "body").send_keys("`")
    page.wait(lambda: page.driver.switch_to.active_element.tag_name == "input",
              what="the operator browser's search")
    page.driver.switch_to.active_element.send_keys("Cluster face")
    item = page.text("Cluster face tracks")
    icons = page.wait(lambda: [i for i in page.driver.find_elements(
        "xpath", "//img[contains(@src, 'icon.svg')]") if i.is_displayed()],
        what="the operator icon")
    assert icons[0].get_attribute("naturalWidth") not in (None, "0")  # it loaded
    assert item.is_displayed()
    page.driver.switch_to.active_element.send_keys("\ue00c")  # Escape


def test_form_refuses_hac_k_without_k(app, faces):
    server, page = app
    runs = faces.list_runs()
    page.open(f"{server.url}/datasets/{faces.name}")
    _operator(page, "Cluster face tracks")
    _choose(page, "Clustering method", "HAC Ward with known K")
    page.text("Number of identities (K)", tag="p")
    page.text("Required property", tag="*")
    # the App refuses to run or schedule an invalid form: Execute is disabled
    page.wait(lambda: [b for b in page.driver.find_elements(
        "xpath", "//button[normalize-space(.)='Execute']") if not b.is_enabled()],
        what="a disabled Execute")
    page.screenshot("form-hac-k-without-k")
    faces.reload()
    assert faces.list_runs() == runs  # nothing ran, nothing was scheduled
    assert not DelegatedOperationService().list_operations(dataset_name=faces.name)
    page.driver.find_element("xpath", "//button[normalize-space(.)='Cancel']").click()


def test_failed_operator_shows_its_error(app, faces):
    server, page = app
    page.open(f"{server.url}/datasets/{faces.name}")
    _operator(page, "Evaluate face identities")
    page.button("Execute").click()
    page.text("The run failed")
    page.page_has("Ground truth comes from")
    page.screenshot("operator-error")
    page.button("Done").click()


def test_immediate_operator_shows_its_result(app, faces):
    server, page = app
    page.open(f"{server.url}/datasets/{faces.name}")
    _operator(page, "Map face tracks")
    page.button("Execute").click()
    page.page_has("num tracks")  # the result table, not a raw dict in a toast
    page.page_has("brain key")
    page.screenshot("operator-result")
    page.button("Done").click()


def _operator(page, label: str) -> None:
    # "`" opens the operator browser (panels beside the grid may hide its button)
    page.driver.find_element("tag name", "body").send_keys("`")
    page.wait(lambda: page.driver.switch_to.active_element.tag_name == "input",
              what="the operator browser's search")
    page.driver.switch_to.active_element.send_keys(label)
    page.text(label).click()


def _choose(page, label: str, option: str) -> None:
    """Pick ``option`` in the dropdown under the form label ``label``."""
    select = page.wait(lambda: [e for e in page.driver.find_elements(
        "xpath", f"//p[normalize-space(text())='{label}']/following::*[@role='combobox'][1]")
        if e.is_displayed()], what=f"dropdown {label!r}")[0]
    select.click()
    page.wait(lambda: [e for e in page.driver.find_elements(
        "xpath", f"//li[@role='option'][normalize-space(.)='{option}']")
        if e.is_displayed()], what=f"option {option!r}")[0].click()


def test_scheduled_runs_show_failures_and_a_missing_worker(app, faces):
    """A scheduled run that fails shows its error in the panel; a queue no worker serves
    says so."""
    from fiftyone_plugin.panels.scheduled import scheduled_runs

    server, page = app
    service = DelegatedOperationService()
    evaluate = foo.get_operator("@video-face-clustering/faces/evaluate_identities")
    evaluate(faces, delegate=True)  # no ground truth: fails in the worker
    service.execute_queued_operations(dataset_name=faces.name)
    cluster = foo.get_operator("@video-face-clustering/faces/cluster_faces")
    cluster(faces, delegate=True, run_key="later", out_field="frames.later")  # no worker
    try:
        rows = scheduled_runs(faces)
        assert [r["state"] for r in rows] == ["queued", "failed"]
        assert "Ground truth comes from" in rows[1]["error"]
        _open_panel(page, server, faces)
        page.button("Refresh").click()
        page.page_has("Scheduled evaluate_identities failed")
        page.page_has("Ground truth comes from")
        deadline = time.time() + 60  # queued for 3 s or more: refresh until it says so
        while "no worker has started them" not in page.driver.find_element(
                "tag name", "body").text:
            assert time.time() < deadline, "no warning about the missing worker"
            time.sleep(1)
            page.button("Refresh").click()
        page.screenshot("scheduled-runs")
        # a worker runs it: the panel, polling, sees it end and loads the new run
        service.execute_queued_operations(dataset_name=faces.name)
        page.page_has("cluster_faces: completed", timeout=30)
        assert "later" in faces.list_runs()
        _choose(page, "Clustering run", "later")
        page.page_has("2 identities")  # its own run: no corrections under that key
    finally:
        for op in service.list_operations(dataset_name=faces.name):
            service.delete_operation(op.id)
