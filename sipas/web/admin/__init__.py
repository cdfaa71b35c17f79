"""Staff pages under /admin/, one module per feature; every module adds its routes to the one blueprint."""
from __future__ import annotations

from sipas.web.admin import agencies, devices, exports, home, links, rounds, sampling, users
from sipas.web.admin.common import bp

__all__ = ["agencies", "bp", "devices", "exports", "home", "links", "rounds", "sampling", "users"]
