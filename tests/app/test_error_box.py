from streamlit.testing.v1 import AppTest


def _app():
    from app import widgets
    from engine.errors import InputError

    widgets.error_box(InputError("/srv/ws/uploads/ab12/bad.csv: looks like a binary file, not text"),
                      hide_prefix="/srv/ws/uploads/ab12")


def test_error_box_names_the_dropped_file_not_the_server_path():
    at = AppTest.from_function(_app, default_timeout=30).run()
    assert not at.exception
    assert [e.value for e in at.error] == ["bad.csv: looks like a binary file, not text"]
