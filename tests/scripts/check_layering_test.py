"""The layering check: refuses a folder that includes one it must not, accepts the real tree."""
import pathlib
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parents[2]
CHECK = ROOT / "scripts" / "check_layering.py"


def run(root):
    return subprocess.run([sys.executable, str(CHECK), "--root", str(root)],
                          capture_output=True, text=True)


def write(root, rel, text):
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


def test_the_tree_keeps_the_one_way_rule():
    result = run(ROOT)
    assert result.returncode == 0, result.stderr


def test_runtime_including_the_jobmanager_is_refused_naming_file_and_line(tmp_path):
    write(tmp_path, "runtime/ok.h", '#include "runtime/other.h"\n#include "proto/common.pb.h"\n')
    write(tmp_path, "runtime/bad.cc", '// x\n#include "jobmanager/dispatcher.h"\n')
    result = run(tmp_path)
    assert result.returncode == 1
    assert "runtime/bad.cc:2: runtime/ must not include jobmanager/dispatcher.h" in result.stderr
    assert "ok.h" not in result.stderr


def test_jobmanager_and_taskmanager_never_include_each_other(tmp_path):
    write(tmp_path, "jobmanager/a.cc", '#include "taskmanager/task.h"\n')
    write(tmp_path, "taskmanager/b.cc", '#include "jobmanager/dispatcher.h"\n')
    result = run(tmp_path)
    assert result.returncode == 1
    assert "jobmanager/a.cc:1" in result.stderr
    assert "taskmanager/b.cc:1" in result.stderr


def test_operators_and_connectors_depend_only_on_runtime(tmp_path):
    write(tmp_path, "operators/transforms/f.cc", '#include "taskmanager/task.h"\n')
    write(tmp_path, "connectors/kafka/s.cc",
          '#include "operators/operator.h"\n#include "operators/transforms/filter.h"\n')
    result = run(tmp_path)
    assert result.returncode == 1
    assert "operators/transforms/f.cc:1" in result.stderr
    assert "connectors/kafka/s.cc:2" in result.stderr  # a built-in operator, not the interface
    assert "connectors/kafka/s.cc:1" not in result.stderr


def test_third_party_headers_are_not_judged(tmp_path):
    write(tmp_path, "runtime/x.cc", '#include "absl/status/status.h"\n#include <rocksdb/db.h>\n')
    assert run(tmp_path).returncode == 0


def test_the_util_layer_is_open_to_every_folder(tmp_path):
    write(tmp_path, "proto/status_json.cc", '#include "runtime/time_format.h"\n')
    write(tmp_path, "client/c.cc", '#include "runtime/util/tcp.h"\n')
    write(tmp_path, "proto/bad.cc", '#include "runtime/job_graph.h"\n')
    result = run(tmp_path)
    assert result.returncode == 1
    assert "proto/bad.cc:1" in result.stderr
    assert "status_json" not in result.stderr and "client/c.cc" not in result.stderr
