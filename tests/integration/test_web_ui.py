"""The web UI in a real browser (headless Chromium driven by Selenium) against a real secure
cluster and broker: log in with a token, submit the original job from the page (upload a job
file with program arguments, as Flink's "Submit New Job"), watch it run and its records reach
the sink, cancel it from the page. The page loads nothing from the network but the JobManager."""
import shutil

import pytest

from cluster import Cluster, Producer, wait_until
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
    return browser.execute_script(
        "const e = document.querySelector(arguments[0]); if (e) e.click(); return !!e", css)


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
        assert click(browser, "#jmlog-box summary")
        wait_until(lambda: f"job={job} submitted" in text_of(browser, "#jmlog"), 30,
                   "the JobManager's log on the page")
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
