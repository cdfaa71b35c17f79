"""OpenAPI 3.1 description of the JSON API (served at /api/v1/openapi.json, fuzzed by schemathesis)."""
from __future__ import annotations

import surveys
from sipas.inputs import INT_MAX, column_limit
from sipas.models import Agency, Channel, Response, Round, ServicePoint
from sipas.services.responses import MAX_COMMENT_LENGTH


def _answers(profile: surveys.Profile) -> dict:
    """The answers a profile takes: its item codes only, each on its own scale (null or absent: no answer);
    items the profile requires must be there."""
    properties = {item.code: {"enum": [*sorted(item.scale.values), *([] if item.required else [None])],
                              "description": item.text.en} for item in profile.items}
    required = [item.code for item in profile.items if item.required]
    return {"type": "object", "additionalProperties": False, "properties": properties,
            **({"required": required} if required else {}),
            "description": "item code -> value on the item's scale; a choice block takes at most its number "
                           "of 1s (" + ", ".join(f"{b.code}: {b.max_choices}" for b in profile.blocks) + ")"
                           if profile.blocks else "item code -> value on the item's scale"}


def _code(model, column: str, description: str) -> dict:
    # Lengths come from the model's column, so the document and the database never disagree.
    return {"type": "string", "minLength": 1, "maxLength": column_limit(model, column), "description": description}


def _response(key: str) -> dict:
    """The request body of one profile: the real constraints, so generated requests reach the storage path."""
    profile = surveys.load(key)
    properties = {
        "id": {"type": "string", "format": "uuid", "maxLength": column_limit(Response, "uuid"),
               "description": "client-generated UUID"},
        "round": _code(Round, "code", "round code, e.g. LCU-KIOSK-2026"),
        "agency": _code(Agency, "code", "agency code"),
        "service_point": _code(ServicePoint, "code", "service point code"),
        "channel": {"type": "string", "enum": [c.value for c in Channel],
                    "description": "kiosk devices: kiosk only; API keys: the channels declared when the key was "
                                   "issued (default api), never kiosk or paper"},
        "profile": {"const": key, "description": "questionnaire profile key of the round"},
        "answers": _answers(profile),
        "created_at": {"type": "string", "format": "date-time"},
        "device_seq": {"type": "integer", "minimum": 0, "maximum": INT_MAX},
        "invitation": {"type": "string",
                       "description": "the respondent's one-time invitation token; required with channel invitation"},
    }
    if profile.allows_comment:
        properties["comment"] = {"type": "string", "maxLength": MAX_COMMENT_LENGTH}
    if profile.allows_dossier_code:
        properties["dossier_code"] = {"type": "string", "description": "stored only as a keyed hash"}
    return {"type": "object", "additionalProperties": False,
            "required": ["id", "round", "agency", "channel", "profile", "answers"], "properties": properties}


def _statuses() -> dict:
    """What each status of POST /responses means, with its body."""
    def answer(description: str, schema: str) -> dict:
        return {"description": description,
                "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{schema}"}}}}

    return {"201": answer("stored", "Ok"),
            "200": answer("already received (same id, same content)", "Ok"),
            "401": answer("missing or invalid token", "Error"),
            "403": answer("outside the credential's scope", "Error"),
            "409": answer("same id, different content", "Error"),
            "422": answer("invalid; nothing stored", "Error"),
            "503": answer("the database cannot store now (cause: unavailable, full or read_only); retry later with "
                          "the same id (Retry-After)", "Error")}


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
                "Response": {"oneOf": [{"$ref": f"#/components/schemas/Response_{key}"}
                                       for key in surveys.available()],
                             "description": "one variant per questionnaire profile: `profile` says which"},
                **{f"Response_{key}": _response(key) for key in surveys.available()},
                "Ok": ok, "Error": error}},
        "paths": {"/responses": {"post": {
            "summary": "Submit one response",
            "security": [{"bearer": []}],
            "requestBody": {"required": True, "content": {"application/json": {
                "schema": {"$ref": "#/components/schemas/Response"}}}},
            "responses": _statuses(),
        }}},
    }
