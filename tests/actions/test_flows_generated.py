"""The flow rules/stories and the test stories are generated and must match the generator; the hand-kept
domain.yml must hold what they use (the generator's --check), and every action it names must exist in the
action server."""

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
    monkeypatch.setattr(gen, "ROOT", tmp_path)  # a checkout with the domain where nothing has been generated yet
    (tmp_path / "domain.yml").write_text((ROOT / "domain.yml").read_text(encoding="utf-8"), encoding="utf-8")
    assert gen.main(["--check"]) == 1
    assert "data/rules/forms.yml is out of date" in capsys.readouterr().out
    assert gen.main([]) == 0 and gen.main(["--check"]) == 0
    (tmp_path / "data" / "rules" / "forms.yml").write_text("version: '3.1'\n", encoding="utf-8")
    assert gen.main(["--check"]) == 1


def test_the_generator_does_not_write_the_domain(tmp_path: Path, monkeypatch, capsys) -> None:
    monkeypatch.setattr(gen, "ROOT", tmp_path)
    assert gen.main([]) == 1  # the rules and stories are written; the missing domain is reported
    assert not (tmp_path / "domain.yml").exists()
    assert "domain.yml is missing (it is kept by hand, not generated)" in capsys.readouterr().out
    assert "GENERATED" not in (ROOT / "domain.yml").read_text(encoding="utf-8")


def _broken_domain(tmp_path: Path, breaks) -> Path:
    """A copy of the project's domain.yml in tmp_path, changed by `breaks(domain)`."""
    domain = _load(ROOT / "domain.yml")
    breaks(domain)
    path = tmp_path / "domain.yml"
    path.write_text(yaml.safe_dump(domain, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def test_the_project_domain_has_no_problems() -> None:
    assert gen.domain_problems(ROOT / "domain.yml") == []


def test_a_domain_missing_a_response_the_rules_use_fails_the_check(tmp_path: Path) -> None:
    path = _broken_domain(tmp_path, lambda domain: domain["responses"].pop("utter_handoff"))
    problems = gen.check(root=ROOT, domain_path=path)
    assert problems and all(p.startswith("domain.yml: ") for p in problems), problems
    assert any("response utter_handoff, used by data/rules/basics.yml" in p and "is not in responses" in p
               for p in problems), problems


def test_a_response_missing_a_language_fails_the_check(tmp_path: Path) -> None:
    def drop_norwegian(domain) -> None:
        del domain["responses"]["utter_greet"][1]

    def english_first(domain) -> None:
        domain["responses"]["utter_thanks"].reverse()

    problems = gen.domain_problems(_broken_domain(tmp_path, drop_norwegian), root=ROOT)
    assert problems == ["domain.yml: response utter_greet has 2 variation(s), wants 3 (sv, nb, en)"]
    problems = gen.domain_problems(_broken_domain(tmp_path, english_first), root=ROOT)
    assert "domain.yml: response utter_thanks: the last variation (en) must have no condition" in problems


def test_the_check_holds_the_domain_to_the_rules_and_the_forms(tmp_path: Path) -> None:
    cases = {
        "intent resend_code, used by": lambda d: d["intents"].remove("resend_code"),
        "action action_note_other_request, used by": lambda d: d["actions"].remove("action_note_other_request"),
        "value 'backend_down' of slot filing_status": lambda d: d["slots"]["filing_status"]["values"].remove(
            "backend_down"),
        "entity withdrawal_target, used by": lambda d: d["entities"].remove("withdrawal_target"),
        "form complaint_form asks": lambda d: d["forms"]["complaint_form"]["required_slots"].pop(),
        "action action_ask_right (actions/questions/) is not in actions": lambda d: d["actions"].remove(
            "action_ask_right"),
        "slot right: wants one custom mapping": lambda d: d["slots"]["right"]["mappings"][0]["conditions"].append(
            {"active_loop": "incident_form", "requested_slot": "right"}),
    }
    for expected, breaks in cases.items():
        problems = gen.domain_problems(_broken_domain(tmp_path, breaks), root=ROOT)
        assert any(expected in p for p in problems), (expected, problems)


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
