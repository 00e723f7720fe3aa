"""The public Python API is what ``flockwatch.__all__`` says, and every name in it exists."""

import flockwatch


def test_all_names_exist_and_are_sorted_unique():
    names = flockwatch.__all__
    assert names == sorted(names)
    assert len(names) == len(set(names))
    for name in names:
        assert hasattr(flockwatch, name), name


def test_core_entry_points_are_public():
    for name in ("Workspace", "ingest_paths", "FlockwatchError", "UserError", "ExternalError"):
        assert name in flockwatch.__all__


def test_error_hierarchy_exit_codes():
    assert issubclass(flockwatch.WorkspaceError, flockwatch.UserError)
    assert issubclass(flockwatch.InputFileError, flockwatch.UserError)
    assert flockwatch.UserError.exit_code == 2
    assert flockwatch.ExternalError.exit_code == 3
