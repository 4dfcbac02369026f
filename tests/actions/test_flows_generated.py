"""domain.yml, the flow rules/stories and the test stories are generated; they must match the generator,
and every action the domain names must exist in the action server."""

from __future__ import annotations

from pathlib import Path

import yaml

from scripts import gen_training_data as gen
from tests.actions.flow_harness import executor

ROOT = Path(__file__).resolve().parents[2]


def _load(path: Path) -> object:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def test_generated_files_are_up_to_date() -> None:
    assert gen.main(["--check"]) == 0, "generated files are stale: run `.venv/bin/python -m scripts.gen_training_data`"


def test_the_check_names_a_stale_file(tmp_path: Path, monkeypatch, capsys) -> None:
    monkeypatch.setattr(gen, "ROOT", tmp_path)  # a checkout where nothing has been generated yet
    assert gen.main(["--check"]) == 1
    assert "domain.yml is out of date" in capsys.readouterr().out
    assert gen.main([]) == 0 and gen.main(["--check"]) == 0
    (tmp_path / "data" / "rules" / "forms.yml").write_text("version: '3.1'\n", encoding="utf-8")
    assert gen.main(["--check"]) == 1


def test_every_custom_action_in_the_domain_is_registered() -> None:
    domain = _load(ROOT / "domain.yml")
    registered = set(executor().actions)
    missing = [name for name in domain["actions"] if name not in registered]
    assert not missing


def test_test_stories_cover_every_flow_in_every_language() -> None:
    for lang in ("sv", "nb", "en"):
        stories = _load(ROOT / f"tests/stories/test_flows_{lang}.yml")["stories"]
        actions = {step.get("action") for story in stories for step in story["steps"]}
        loops = {step.get("active_loop") for story in stories for step in story["steps"]}
        for form in ("rights_request_form", "application_withdrawal_form", "incident_form", "misconduct_form",
                     "complaint_form", "case_status_form", "verification_form"):
            assert form in loops, (lang, form)
        for action in ("action_file_case", "action_stop_flow", "action_correct_value", "action_resend_code",
                       "action_answer_faq", "utter_handoff", "action_clarify_request", "utter_out_of_scope",
                       "utter_customer_service"):
            assert action in actions, (lang, action)
