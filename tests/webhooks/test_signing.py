"""Signatures per the Standard Webhooks specification, checked against its published vector."""

from downline.webhooks.signing import key_of, new_secret, sign, verify

SPEC_SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
SPEC_ID = "msg_p5jXN8AQM9LWM0D4loKWxJek"
SPEC_TIMESTAMP = 1614265330
SPEC_BODY = b'{"test": 2432232314}'
SPEC_SIGNATURE = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="


def test_the_published_test_vector_is_reproduced_exactly():
    assert sign(SPEC_SECRET, SPEC_ID, SPEC_TIMESTAMP, SPEC_BODY) == SPEC_SIGNATURE


def test_a_changed_body_id_or_timestamp_does_not_verify():
    assert verify(SPEC_SECRET, SPEC_ID, SPEC_TIMESTAMP, SPEC_BODY, f"v1,bm9wZQ== {SPEC_SIGNATURE}")
    assert not verify(SPEC_SECRET, SPEC_ID, SPEC_TIMESTAMP, b'{"test": 1}', SPEC_SIGNATURE)
    assert not verify(SPEC_SECRET, "msg_other", SPEC_TIMESTAMP, SPEC_BODY, SPEC_SIGNATURE)
    assert not verify(SPEC_SECRET, SPEC_ID, SPEC_TIMESTAMP + 1, SPEC_BODY, SPEC_SIGNATURE)


def test_new_secrets_are_whsec_and_24_random_bytes():
    first, second = new_secret(), new_secret()
    assert first.startswith("whsec_")
    assert first != second
    assert len(key_of(first)) == 24
