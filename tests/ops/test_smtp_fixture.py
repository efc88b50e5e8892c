from django.core.mail import send_mail

from smtp_server import body_text


def test_mail_travels_over_smtp(smtp_server):
    send_mail("Hello", "Body text", "from@example.com", ["to@example.com"])
    [message] = smtp_server.to("to@example.com")
    assert message["Subject"] == "Hello"
    assert "Body text" in body_text(message)
