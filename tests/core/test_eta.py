from core.eta import Eta, format_seconds, time_left


def test_time_left_at_a_constant_pace():
    assert time_left(0.25, 10.0) == 30.0
    assert time_left(0.0, 10.0) is None and time_left(0.5, 0.1) is None
    assert time_left(1.0, 10.0) is None


def test_eta_text_from_a_fake_clock():
    now = [100.0]
    eta = Eta(clock=lambda: now[0])
    assert eta.text(0.0) == ""
    now[0] = 103.0
    assert eta.text(0.01) == " · 3 s so far"  # too little done to estimate
    assert eta.text(0.5) == " · about 3 s left"
    now[0] = 200.0
    assert eta.text(0.4) == " · about 2 min 30 s left"
    assert format_seconds(725) == "12 min" and format_seconds(0.2) == "1 s"
