"""The web UI in a real browser (headless Chromium driven by Selenium) against a real secure
cluster and broker: log in with a token, submit the original job from the page (upload a job
file with program arguments, as Flink's "Submit New Job"), watch it run and its records reach
the sink, open a vertex of its graph, take a savepoint, rescale it and cancel it from the page.
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
    driver.set_window_size(1400, 1000)
    try:
        yield driver
    finally:
        driver.quit()


# The page redraws its tables every 2 s: read and click through the live DOM, never through an
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


def shot(browser, name: str) -> None:
    """With EC_UI_SCREENSHOTS=DIR, saves the page as DIR/NAME.png (how docs/ui/ is made)."""
    folder = os.environ.get("EC_UI_SCREENSHOTS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        browser.save_screenshot(str(Path(folder) / f"{name}.png"))


def set_value(browser, css: str, value: str) -> bool:
    return browser.execute_script(
        "const e = document.querySelector(arguments[0]); if (!e) return false; e.value = arguments[1];"
        "e.dispatchEvent(new Event('input', {bubbles: true})); return true", css, value)


def cluster_vertices(cluster, job: str) -> list[dict]:
    """The job's vertices as REST gives them (read with the admin token)."""
    status, _, body = rest_request("GET", f"http://127.0.0.1:{cluster.rest_port}/jobs/{job}",
                                   cluster.admin_token)
    assert status == 200, body
    return json.loads(body)["vertices"]


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

        browser.find_element(By.ID, "jobfile").send_keys(str(JOB))
        browser.find_element(By.ID, "args").send_keys(
            f"--hostname 127.0.0.1 --port {producer.port} "
            f"--kafka-bootstrap-servers {kafka.plaintext} --kafka-topic {topic}")
        shot(browser, "submit")
        browser.find_element(By.ID, "run").click()
        result = wait_until(lambda: "submitted job" in (t := text_of(browser, "#submit-result"))
                            and t, 60, "the submit to answer")
        job = result.split()[-1]
        assert cluster.state(job) in ("CREATED", "RUNNING")
        wait_until(lambda: "RUNNING" in text_of(browser, f'tr.job[data-id="{job}"] .state'), 60,
                   "the job to show RUNNING")
        assert click(browser, f'tr.job[data-id="{job}"] a')
        wait_until(lambda: any(int(t) > 0 for t in texts(browser, "table.operators .records-in")),
                   60, "records counted on the page")
        assert "kafka-sink" in text_of(browser, "table.operators")

        # The job graph: a box per vertex with its records; a click shows its subtasks.
        vertices = cluster_vertices(cluster, job)
        wait_until(lambda: len(texts(browser, "svg.graph g.vertex")) == len(vertices), 30,
                   "a box per vertex in the job graph")
        # Records counting up on the graph.
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

        # Savepoint, then rescale, from the page: Flink's trigger and poll.
        assert click(browser, f'tr.detail button[data-action="savepoint"][data-job="{job}"]')
        done = wait_until(lambda: "savepoint done" in (t := text_of(browser, "#submit-result"))
                          and t, 90, "the savepoint to complete")
        location = done.split(": ", 1)[1].strip()
        assert location.startswith(str(cluster.dir)), location
        assert (Path(location) / "_metadata").is_file()
        assert set_value(browser, f'input.rescale-to[data-job="{job}"]', "2")
        assert click(browser, f'tr.detail button[data-action="rescale"][data-job="{job}"]')
        wait_until(lambda: "rescale to 2 done" in text_of(browser, "#submit-result"), 120,
                   "the rescale to complete")
        # The socket source stays one subtask (as Flink's socketTextStream); the chain after it
        # runs at 2.
        wait_until(lambda: cluster.state(job) == "RUNNING" and
                   cluster_vertices(cluster, job)[-1]["parallelism"] == 2, 120,
                   "the job to run at parallelism 2")
        assert f'user=ada role=admin action="rescale to 2" job={job} via=REST' in \
            cluster.jobmanager.log()
        assert click(browser, "#jmlog-box summary")
        wait_until(lambda: f"job={job} submitted" in text_of(browser, "#jmlog"), 30,
                   "the JobManager's log on the page")
        assert click(browser, "#tms button.tmlog")
        wait_until(lambda: "registered with JobManager" in text_of(browser, "#tmlog"), 30,
                   "a TaskManager's log on the page")
        browser.execute_script("document.getElementById('tmlog').scrollIntoView()")
        shot(browser, "logs")
        browser.execute_script("window.scrollTo(0, 0)")
        assert click(browser, f'tr.job[data-id="{job}"] button.cancel')
        wait_until(lambda: cluster.state(job) in ("CANCELLING", "CANCELED"), 30,
                   "the cancel to reach the JobManager")
        cluster.wait_for_state(job, "CANCELED")
        wait_until(lambda: "CANCELED" in text_of(browser, f'tr.job[data-id="{job}"] .state'), 30,
                   "the page to show CANCELED")
        assert f'user=ada role=admin action="cancel" job={job} via=REST' in cluster.jobmanager.log()
    finally:
        producer.stop()
        cluster.close()
