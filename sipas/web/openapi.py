"""OpenAPI 3.1 description of the JSON API (served at /api/v1/openapi.json, fuzzed by schemathesis)."""
from __future__ import annotations

from sipas.models import Channel


def spec() -> dict:
    """The OpenAPI document."""
    error = {"type": "object", "properties": {"error": {"type": "string"},
                                              "errors": {"type": "object", "additionalProperties": {"type": "string"}},
                                              "cause": {"type": "string", "enum": ["unavailable", "full", "read_only"],
                                                        "description": "503 only: why the database cannot write"}},
             "required": ["error"]}
    ok = {"type": "object", "properties": {"id": {"type": "string"}, "status": {"type": "string"}},
          "required": ["id", "status"]}
    return {
        "openapi": "3.1.0",
        "info": {"title": "SIPAS collection API", "version": "1.0.0",
                 "description": "Submit survey responses (kiosk ratings, ratings pushed by one-stop systems). "
                                "Idempotent: the client-generated `id` makes a retry return 200, never a second "
                                "row."},
        "servers": [{"url": "/api/v1"}],
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer",
                                           "description": "kiosk device token (kd_...) or API key (ak_...)"}},
            "schemas": {
                "Response": {
                    "type": "object", "additionalProperties": False,
                    "required": ["id", "round", "agency", "channel", "profile", "answers"],
                    "properties": {
                        "id": {"type": "string", "format": "uuid", "description": "client-generated UUID"},
                        "round": {"type": "string", "description": "round code, e.g. LCU-KIOSK-2026"},
                        "agency": {"type": "string", "description": "agency code"},
                        "service_point": {"type": "string"},
                        "channel": {"type": "string", "enum": [c.value for c in Channel],
                                    "description": "kiosk devices: kiosk only; API keys: the channels declared "
                                                   "when the key was issued (default api), never kiosk or paper"},
                        "profile": {"type": "string", "description": "questionnaire profile key of the round"},
                        "answers": {"type": "object", "additionalProperties": {"type": ["integer", "null"]},
                                    "description": "item code -> value; null or absent = no answer"},
                        "comment": {"type": "string", "maxLength": 2000},
                        "dossier_code": {"type": "string", "description": "stored only as a keyed hash"},
                        "created_at": {"type": "string", "format": "date-time"},
                        "device_seq": {"type": "integer", "minimum": 0},
                        "invitation": {"type": "string", "description": "the respondent's one-time invitation "
                                                                          "token; required with channel invitation"},
                    }},
                "Ok": ok, "Error": error}},
        "paths": {"/responses": {"post": {
            "summary": "Submit one response",
            "security": [{"bearer": []}],
            "requestBody": {"required": True, "content": {"application/json": {
                "schema": {"$ref": "#/components/schemas/Response"}}}},
            "responses": {
                "201": {"description": "stored", "content": {"application/json": {
                    "schema": {"$ref": "#/components/schemas/Ok"}}}},
                "200": {"description": "already received (same id, same content)", "content": {
                    "application/json": {"schema": {"$ref": "#/components/schemas/Ok"}}}},
                "401": {"description": "missing or invalid token", "content": {"application/json": {
                    "schema": {"$ref": "#/components/schemas/Error"}}}},
                "403": {"description": "outside the credential's scope", "content": {"application/json": {
                    "schema": {"$ref": "#/components/schemas/Error"}}}},
                "409": {"description": "same id, different content", "content": {"application/json": {
                    "schema": {"$ref": "#/components/schemas/Error"}}}},
                "422": {"description": "invalid; nothing stored", "content": {"application/json": {
                    "schema": {"$ref": "#/components/schemas/Error"}}}},
                "503": {"description": "the database cannot store now (cause: unavailable, full or read_only); "
                                       "retry later with the same id (Retry-After)", "content": {"application/json": {
                    "schema": {"$ref": "#/components/schemas/Error"}}}},
            }}}},
    }
