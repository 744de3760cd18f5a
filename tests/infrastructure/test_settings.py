"""Settings refuse what the processes could not run with, at start-up and by name."""

import pydantic
import pytest

from infrastructure.settings import Settings

pytestmark = pytest.mark.pure


@pytest.mark.parametrize("seconds", ["0", "-1", "nan", "inf", "1e12", "soon"])
def test_a_read_time_limit_postgresql_cannot_take_is_refused(seconds):
    with pytest.raises(pydantic.ValidationError, match="JOURNEYOPS_READ_TIMEOUT_SECONDS"):
        Settings(_env_file=None, JOURNEYOPS_READ_TIMEOUT_SECONDS=seconds)


def test_a_read_time_limit_may_be_a_fraction_of_a_second():
    assert (
        Settings(_env_file=None, JOURNEYOPS_READ_TIMEOUT_SECONDS="0.5").read_timeout_seconds == 0.5
    )
