"""The fleet as data: config files loaded into validated, immutable models.

    from fleet import load_fleet, config_dir_from_env
    fleet = load_fleet(config_dir_from_env())

Nothing here knows about cdktf or Portainer's API; stacks read a `Fleet`, never files.
`python -m fleet validate [DIR]` checks a config directory alone; `python -m fleet schema`
regenerates the editors' JSON Schema in `schema/`.
"""

from .errors import ConfigProblem, FleetConfigError
from .fleet import Fleet, Guest, GuestKind
from .loader import CONFIG_DIR_ENV, DEFAULT_CONFIG_DIR, config_dir_from_env, load_fleet

__all__ = [
    "CONFIG_DIR_ENV",
    "DEFAULT_CONFIG_DIR",
    "ConfigProblem",
    "Fleet",
    "FleetConfigError",
    "Guest",
    "GuestKind",
    "config_dir_from_env",
    "load_fleet",
]
