"""Development defaults: embedded SQLite, tasks in-process, e-mails printed to the console."""

from .base import *  # noqa: F403
from .base import env

DEBUG = env.bool("DEBUG", default=True)
