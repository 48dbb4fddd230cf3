"""The web UI in a real browser (headless Chromium driven by Selenium) against a real cluster:

- against a secure cluster and the broker: log in with a token, refuse a job file that is not
  JSON, submit the original job from the page as Flink's "Submit New Job" (its parameters read
  from the file and filled in their fields, more program arguments in the free box), watch it run
  and its records count up on the graph, open a vertex, read the Checkpoints, Exceptions and
  Configuration tabs, take a savepoint, rescale, read a TaskManager's and the JobManager's log and
  cancel it, all from the page;
- with 50 jobs and 200 subtasks on the page (REST answers of a real job, multiplied in the
  browser): running jobs first, the filter, no detail requests for collapsed jobs, rows kept
  across refreshes, everything escaped; the time of a refresh is printed, not asserted.

The page loads nothing from the network but the JobManager."""
import json
import os
import shutil
from pathlib import Path

import pytest

from cluster import Cluster, Producer, rest_request, wait_until
from kafka_fixture import source_dir

webdriver = pytest.importorskip("selenium.webdriver", reason="python3-selenium (setup.sh)")
from selenium.webdriver.common.by import By  # noqa: E402

JOB = source_dir() / "examples" / "job.json"


@pytest.fixture
def browser():
    binary = shutil.which("chromium")
    driver_path = shutil.which("chromedriver")
    assert binary and driver_path, "chromium and chromium-driver are not installed (setup.sh)"
    options = webdriver.ChromeOptions()
    options.binary_location = binary
    for flag in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu"):
        options.add_argument(flag)
    service = webdriver.ChromeService(executable_path=driver_path)
    driver = webdriver.Chrome(options=options, service=service)
    driver.set_page_load_timeout(60)
    driver.set_script_timeout(60)
    driver.set_window_size(1400, 1000)
    try:
        yield driver
    finally:
        driver.quit()


# The page updates its tables every 2 s: read and click through the live DOM, never through an
# element found earlier.
def texts(browser, css: str) -> list[str]:
    return browser.execute_script(
        "return [...document.querySelectorAll(arguments[0])].map(e => e.textContent)", css)


def text_of(browser, css: str) -> str:
    return " ".join(texts(browser, css))


def click(browser, css: str) -> bool:
    # An SVG element (a box of the job graph) has no click(): it gets the event dispatched.
    return browser.execute_script(
        "const e = document.querySelector(arguments[0]); if (!e) return false;"
        "if (e.click) e.click(); else e.dispatchEvent(new MouseEvent('click', {bubbles: true}));"
        "return true", css)


def shot(browser, name: str, css: str | None = None) -> None:
    """With EC_UI_SCREENSHOTS=DIR, saves the page (scrolled to `css`) as DIR/NAME.png (how
    docs/ui/ is made)."""
    folder = os.environ.get("EC_UI_SCREENSHOTS")
    if folder:
        if css:
            browser.execute_script("document.querySelector(arguments[0]).scrollIntoView()", css)
        Path(folder).mkdir(parents=True, exist_ok=True)
        browser.save_screenshot(str(Path(folder) / f"{name}.png"))
        browser.execute_script("window.scrollTo(0, 0)")


def set_value(browser, css: str, value: str) -> bool:
    return browser.execute_script(
        "const e = document.querySelector(arguments[0]); if (!e) return false;"
        "e.value = arguments[1];"
        "e.dispatchEvent(new Event('input', {bubbles: true})); return true", css, value)


def rest_json(cluster, path: str):
    status, _, body = rest_request("GET", f"http://127.0.0.1:{cluster.rest_port}{path}",
                                   cluster.admin_token)
    assert status == 200, (path, body)
    return json.loads(body)


def open_tab(browser, job: str, tab: str) -> str:
    """Clicks the job's tab; returns the CSS selector of its content."""
    assert click(browser, f'tr.detail[data-job="{job}"] .tabs button[data-tab="{tab}"]')
    return f'tr.detail[data-job="{job}"] .tab-body[data-tab="{tab}"]'


def submit_from_the_page(browser, cluster, kafka, producer, topic, tmp_path) -> str:
    """Refuses a file that is not JSON, then submits examples/job.json with its parameters
    filled in their fields; returns the job id."""
    broken = tmp_path / "broken.json"
    broken.write_text('{"name": "broken", "parameters": {')
    browser.find_element(By.ID, "jobfile").send_keys(str(broken))
    wait_until(lambda: "not valid JSON" in text_of(browser, "#jobfile-info.error"), 30,
               "the page to refuse a file that is not JSON")
    assert "\n" not in text_of(browser, "#jobfile-info")
    browser.find_element(By.ID, "run").click()
    wait_until(lambda: "not a job file" in text_of(browser, "#submit-result"), 30,
               "Submit refused for the broken file")
    assert 'action="upload"' not in cluster.jobmanager.log(), "the broken file was uploaded"

    browser.find_element(By.ID, "jobfile").send_keys(str(JOB))
    field = lambda name: f'#params input.param[data-name="{name}"]'
    defaults = json.loads(JOB.read_text())["parameters"]
    wait_until(lambda: len(texts(browser, "#params input.param")) == len(defaults), 30,
               "a field for each of the job file's parameters")
    shown = browser.execute_script(
        "return Object.fromEntries([...document.querySelectorAll('#params input.param')]"
        ".map(e => [e.dataset.name, e.value]))")
    assert shown == defaults
    filled = {"hostname": "127.0.0.1", "port": str(producer.port),
              "kafka-bootstrap-servers": kafka.plaintext, "kafka-topic": topic,
              "delivery-guarantee": "exactly-once"}
    for name, value in filled.items():
        assert set_value(browser, field(name), value)
    assert len(texts(browser, "#params tr.changed")) == len(filled)
    # More arguments in the free box; they come after the fields, so where both give a key the
    # box wins (the later --key, as in ecctl submit): delivery-guarantee stays at-least-once.
    browser.find_element(By.ID, "args").send_keys(
        "--checkpoint-interval 1s --delivery-guarantee at-least-once")
    expected = [a for name, value in filled.items() for a in (f"--{name}", value)] + [
        "--checkpoint-interval", "1s", "--delivery-guarantee", "at-least-once"]
    assert browser.execute_script("return programArgs()") == expected
    shot(browser, "submit", "#submit")
    browser.find_element(By.ID, "run").click()
    result = wait_until(lambda: "submitted job" in (t := text_of(browser, "#submit-result"))
                        and t, 60, "the submit to answer")
    # The upload is not kept: the page does not offer it again.
    wait_until(lambda: rest_json(cluster, "/jars")["files"] == [], 30, "the upload deleted")
    return result.split()[-1]


def test_log_in_submit_watch_and_cancel_from_the_browser(browser, kafka, tmp_path):
    cluster = Cluster(taskmanagers=1, slots=2, secure=True)
    producer = Producer(tmp_path, "--rate", "500", "--seed", "6")
    topic = kafka.create_job_topics("events_web_")
    try:
        browser.get(f"http://127.0.0.1:{cluster.rest_port}/")
        login = wait_until(lambda: (f := browser.find_element(By.ID, "login")).is_displayed() and f,
                           30, "the login form (tokens are on)")
        browser.find_element(By.ID, "token").send_keys(cluster.viewer_token[:-1] + "x")
        login.find_element(By.TAG_NAME, "button").click()
        wait_until(lambda: "unknown" in text_of(browser, "#why") or
                   "token" in text_of(browser, "#why"), 30, "a wrong token refused")
        browser.find_element(By.ID, "token").send_keys(cluster.admin_token)
        login.find_element(By.TAG_NAME, "button").click()
        wait_until(lambda: not login.is_displayed(), 30, "the login to succeed")
        wait_until(lambda: "1 task managers" in text_of(browser, "#overview"), 30,
                   "the overview")
        # The session is an HttpOnly cookie: the page's script cannot read the token.
        assert browser.execute_script("return document.cookie") == ""

        job = submit_from_the_page(browser, cluster, kafka, producer, topic, tmp_path)
        assert cluster.state(job) in ("CREATED", "RUNNING")
        row = f'tr.job[data-id="{job}"]'
        detail = f'tr.detail[data-job="{job}"]'
        wait_until(lambda: "RUNNING" in text_of(browser, f"{row} .state"), 60,
                   "the job to show RUNNING")
        assert click(browser, f"{row} a")
        wait_until(lambda: any(int(t) > 0 for t in texts(browser, "table.operators .records-in")),
                   60, "records counted on the page")
        assert "kafka-sink" in text_of(browser, "table.operators")

        # The job graph: a box per vertex with its records; a click shows its subtasks.
        vertices = rest_json(cluster, f"/jobs/{job}")["vertices"]
        wait_until(lambda: len(texts(browser, "svg.graph g.vertex")) == len(vertices), 30,
                   "a box per vertex in the job graph")
        counts = lambda: [int(t.split()[1]) for t in texts(browser, "svg.graph text.records")]
        seen = wait_until(lambda: (c := counts()) and c[0] > 0 and c, 30, "records on the graph")
        wait_until(lambda: counts()[0] > seen[0], 30, "the records on the graph to count up")
        assert click(browser, "svg.graph g.vertex")
        wait_until(lambda: "subtasks" in text_of(browser, "table.subtasks caption"), 30,
                   "the subtasks of the clicked vertex")
        tm_id = cluster.taskmanager_list()[0]["id"]
        wait_until(lambda: tm_id in text_of(browser, "table.subtasks"), 30,
                   "the subtask's TaskManager on the page")
        shot(browser, "job")

        # Checkpoints: counts, latest, summary and a history that grows under the open tab (the
        # tab outlives the refreshes).
        checkpoints = open_tab(browser, job, "checkpoints")
        history = f"{checkpoints} table.checkpoint-history td.state-COMPLETED"
        completed = wait_until(lambda: len(texts(browser, history)), 60,
                               "a completed checkpoint in the history")
        wait_until(lambda: len(texts(browser, history)) > completed, 60,
                   "the history to grow while the tab is open")
        assert texts(browser, f"{detail} .tabs button.active") == ["Checkpoints"]
        assert "end to end duration" in text_of(browser, f"{checkpoints} table.checkpoint-summary")
        settings = f"{checkpoints} table.checkpoint-config"
        assert dict(zip(texts(browser, f"{settings} th"), texts(browser, f"{settings} td")))[
            "interval"] == "1 s"
        counts_row = texts(browser, f"{checkpoints} table.checkpoint-counts td")
        assert int(counts_row[2]) >= completed, counts_row
        shot(browser, "checkpoints", detail)

        exceptions = open_tab(browser, job, "exceptions")
        # A healthy job has none; a restart on the way would be listed with its cause.
        wait_until(lambda: "No exceptions" in text_of(browser, exceptions) or
                   texts(browser, f"{exceptions} table.exceptions td pre"), 30,
                   "the Exceptions tab")
        configuration = open_tab(browser, job, "config")
        user_config = f"{configuration} table.user-config"
        wait_until(lambda: topic in text_of(browser, user_config), 30, "the Configuration tab")
        config = dict(zip(texts(browser, f"{user_config} th"), texts(browser, f"{user_config} td")))
        assert config["hostname"] == "127.0.0.1" and config["kafka-topic"] == topic, config
        assert config["delivery-guarantee"] == "at-least-once", "the free box did not win"
        assert job in text_of(browser, f"{configuration} table.job-config")
        open_tab(browser, job, "overview")
        wait_until(lambda: texts(browser, "table.subtasks caption"), 30, "the Overview tab again")

        # Savepoint, then rescale, from the page: Flink's trigger and poll.
        result = f"{detail} .op-result"
        assert click(browser, f'{detail} button[data-action="savepoint"]')
        done = wait_until(lambda: "savepoint done" in (t := text_of(browser, result)) and t, 90,
                          "the savepoint to complete")
        location = done.split(": ", 1)[1].strip()
        assert location.startswith(str(cluster.dir)), location
        assert (Path(location) / "_metadata").is_file()
        assert set_value(browser, f'input.rescale-to[data-job="{job}"]', "2")
        assert click(browser, f'{detail} button[data-action="rescale"]')
        wait_until(lambda: "rescale to 2 done" in text_of(browser, result), 120,
                   "the rescale to complete")
        # The socket source stays one subtask (as Flink's socketTextStream); the chain after it
        # runs at 2.
        wait_until(lambda: cluster.state(job) == "RUNNING" and
                   rest_json(cluster, f"/jobs/{job}")["vertices"][-1]["parallelism"] == 2, 120,
                   "the job to run at parallelism 2")
        assert f'user=ada role=admin action="rescale to 2" job={job} via=REST' in \
            cluster.jobmanager.log()

        # The TaskManagers: slots, free slots, heartbeat; details; log. The JobManager's log.
        tm = rest_json(cluster, "/taskmanagers")["taskmanagers"][0]
        wait_until(lambda: "s ago" in text_of(browser, "#tms tbody tr.tm"), 30,
                   "the TaskManager's heartbeat")
        cells = texts(browser, "#tms tbody tr.tm td")
        assert tm["path"] in cells and str(tm["slotsNumber"]) in cells, cells
        assert click(browser, "#tms button.tmdetail")
        wait_until(lambda: "slotsNumber" in text_of(browser, "#tm-detail"), 30,
                   "the TaskManager's details")
        assert click(browser, "#jmlog-box summary")
        wait_until(lambda: f"job={job} submitted" in text_of(browser, "#jmlog"), 30,
                   "the JobManager's log on the page")
        assert click(browser, "#tms button.tmlog")
        wait_until(lambda: "registered with JobManager" in text_of(browser, "#tmlog"), 30,
                   "a TaskManager's log on the page")
        shot(browser, "logs", "#tms")
        assert click(browser, f"{row} button.cancel")
        wait_until(lambda: cluster.state(job) in ("CANCELLING", "CANCELED"), 30,
                   "the cancel to reach the JobManager")
        cluster.wait_for_state(job, "CANCELED")
        wait_until(lambda: "CANCELED" in text_of(browser, f"{row} .state"), 30,
                   "the page to show CANCELED")
        assert f'user=ada role=admin action="cancel" job={job} via=REST' in cluster.jobmanager.log()
    finally:
        producer.stop()
        cluster.close()


# In the browser: answers for 50 jobs (names with HTML in them, some ended) and a vertex of 200
# subtasks, made from the real answers of one job; every other request goes to the JobManager.
# Each requested path is recorded in window.ecRequests.
FAKE_REST = """
const [entry, details, vertex, backpressure] = arguments;
const states = ['RUNNING', 'FINISHED', 'CANCELED', 'FAILED', 'RESTARTING'];
const jobs = Array.from({length: 50}, (_, i) => ({...entry,
    jid: (i + 1).toString(16).padStart(32, 'a'), name: `job <b>${i}</b>`,
    state: states[i % states.length], 'start-time': entry['start-time'] + i * 1000}));
const subtasks = Array.from({length: 200}, (_, k) => ({...vertex.subtasks[0], subtask: k}));
const ratios = Array.from({length: 200}, (_, k) => ({...backpressure.subtasks[0], subtask: k}));
const marks = Array.from({length: 200}, (_, k) => ({id: `${k}.currentOutputWatermark`,
                                                   value: String(1765100000000 + k)}));
const answer = path => {
  if (path === '/jobs/overview') return {jobs};
  const m = path.match(
      /^\\/jobs\\/([0-9a-f]{32})(\\/vertices\\/[0-9a-f]{32})?(\\/backpressure|\\/watermarks)?$/);
  const job = m && jobs.find(j => j.jid === m[1]);
  if (!job) return undefined;
  if (m[3] === '/watermarks') return marks;
  if (m[3]) return {...backpressure, subtasks: ratios};
  if (m[2]) return {...vertex, parallelism: 200, subtasks};
  return {...details, jid: job.jid, name: job.name, state: job.state,
          vertices: details.vertices.map(v => ({...v, parallelism: 200}))};
};
window.ecRequests = [];
const real = window.fetch.bind(window);
window.fetch = async (path, options) => {
  window.ecRequests.push(path);
  const body = answer(path);
  return body === undefined ? real(path, options) : new Response(JSON.stringify(body),
      {status: 200, headers: {'Content-Type': 'application/json'}});
};
return jobs.map(j => j.jid);
"""

# One refresh, timed in the browser: its milliseconds and the paths it requested.
TIMED_REFRESH = """
const done = arguments[arguments.length - 1];
window.ecRequests = [];
const start = performance.now();
refresh().then(() => done([performance.now() - start, window.ecRequests]));
"""


def test_page_with_50_jobs_and_200_subtasks(browser, tmp_path):
    cluster = Cluster(taskmanagers=1, slots=2)
    producer = Producer(tmp_path, "--rate", "200", "--seed", "4")
    try:
        spec = {"name": "many", "pipeline": [
            {"type": "socket-source", "hostname": "127.0.0.1", "port": producer.port},
            {"type": "json-parse"}, {"type": "windows-event-map"}, {"type": "discard-sink"}]}
        job_file = tmp_path / "job.json"
        job_file.write_text(json.dumps(spec))
        real = cluster.submit(str(job_file))
        cluster.wait_for_state(real, "RUNNING")
        base = f"http://127.0.0.1:{cluster.rest_port}"

        def get(path):
            status, _, body = rest_request("GET", base + path)
            assert status == 200, (path, body)
            return json.loads(body)

        details = get(f"/jobs/{real}")
        vid = details["vertices"][-1]["id"]
        answers = [next(j for j in get("/jobs/overview")["jobs"] if j["jid"] == real), details,
                   get(f"/jobs/{real}/vertices/{vid}"),
                   get(f"/jobs/{real}/vertices/{vid}/backpressure")]

        browser.get(base + "/")
        wait_until(lambda: texts(browser, "#jobs tr.job"), 30, "the real job listed")
        ids = browser.execute_script(FAKE_REST, *answers)
        millis, requested = browser.execute_async_script(TIMED_REFRESH)
        print(f"\none refresh with 50 jobs, all collapsed: {millis:.0f} ms")
        rows = texts(browser, "#jobs tr.job .state")
        assert len(rows) == 50
        # Jobs that have not ended first.
        ended = [s in ("FINISHED", "CANCELED", "FAILED") for s in rows]
        assert ended == sorted(ended), rows
        # Names are text, never markup.
        assert not browser.execute_script("return document.querySelector('#jobs b')")
        assert "job <b>0</b>" in texts(browser, "#jobs tr.job a")
        assert not [p for p in requested if p.startswith("/jobs/") and p != "/jobs/overview"], \
            requested

        # One job open on a vertex of 200 subtasks: only its details are requested.
        job = ids[0]
        assert click(browser, f'tr.job[data-id="{job}"] a')
        wait_until(lambda: texts(browser, "svg.graph g.vertex"), 30, "the job's graph")
        assert browser.execute_script(
            "const g = document.querySelectorAll('svg.graph g.vertex');"
            "g[g.length - 1].dispatchEvent(new MouseEvent('click', {bubbles: true})); return true")
        wait_until(lambda: len(texts(browser, "table.subtasks tr")) == 201, 30,
                   "200 subtasks on the page")
        first_row = browser.execute_script(
            "const r = document.querySelector('#jobs tr.job'); r.ecMark = 1; return r.dataset.id")
        millis, requested = browser.execute_async_script(TIMED_REFRESH)
        print(f"one refresh with 50 jobs, one open with 200 subtasks: {millis:.0f} ms")
        details_requested = {p.split("/")[2] for p in requested
                             if p.startswith("/jobs/") and p != "/jobs/overview"}
        assert details_requested == {job}, requested
        # Rows are updated in place, not drawn anew.
        assert browser.execute_script(
            "return document.querySelector(`#jobs tr.job[data-id='${arguments[0]}']`).ecMark",
            first_row) == 1

        # The filter: by state, then by name; the open job's detail row goes with it.
        assert set_value(browser, "#job-filter", "failed")
        assert set(texts(browser, "#jobs tr.job .state")) == {"FAILED"}
        assert "10 of 50 jobs" in text_of(browser, "#job-count")
        assert not texts(browser, "#jobs tr.detail")
        assert set_value(browser, "#job-filter", "<b>7</b>")
        assert texts(browser, "#jobs tr.job a") == ["job <b>7</b>"]
        assert set_value(browser, "#job-filter", "")
        assert len(texts(browser, "#jobs tr.job")) == 50 and texts(browser, "#jobs tr.detail")
    finally:
        producer.stop()
        cluster.close()
