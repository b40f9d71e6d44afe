"""README's "Who may do what" table is the one security.ACCESS and the domain's in-route rules give."""
from inclusive_access import role_table


def test_readme_shows_the_table_the_policy_gives():
    shown = role_table.in_readme(role_table.README.read_text(encoding="utf-8"))
    assert shown == role_table.render(), (
        "README.md's role table differs from security.ACCESS: run `python -m inclusive_access.role_table --write`")


def test_the_table_says_who_does_the_work_that_moved():
    table = role_table.render().splitlines()
    #: area | what | booking | clinician | senior | auditor | manager
    assert "| Barrier checks | complete check | no | yes | yes | no | no |" in table
    assert ('| Barrier checks | answer the "was not brought" safeguarding question (in save barriers) '
            '| no | yes | yes | no | no |') in table
    assert "| Barrier checks | worklist, show check, save barriers, log attempt | yes | yes | yes | no | no |" in table
    assert "| Appointments | record outcome, record past contact | no | yes | yes | no | no |" in table
    assert ("| Audit | list samples, new sample, show sample, sample record, sample summary, export summary "
            "| no | no | no | yes | no |") in table
