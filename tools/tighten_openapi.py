"""One-off: gives the OpenAPI document's parameters and request bodies the constraints the
server checks (patterns of codes and periods, dates, enums, bounds, required body fields), so
a schema-driven fuzzer's "valid" requests are ones the server accepts."""
import json, sys

path = sys.argv[1]
doc = json.load(open(path))

CODE = {"type": "string", "pattern": "^[^\\s?#/\\x00-\\x1f\\x7f-\\x9f]{1,64}$"}
YEAR = "(19[0-9]{2}|20[0-9]{2})"
PERIOD = {"type": "string", "pattern": "^" + YEAR + "(W([1-9]|[1-4][0-9]|5[0-2])|Q[1-4]|S[12]|N9|0[1-9]|1[0-2]|(0[1-9]|1[0-2])(0[1-9]|1[0-9]|2[0-8]))?$",
          "description": "A period: 2026, 2026S2, 2026N9, 2026Q4, 202611, 2026W48, 20261126 (a dated round 20261101_20261115 is also accepted)."}
DATE = {"type": "string", "format": "date", "pattern": "^(19[0-9]{2}|20[0-9]{2})-(0[1-9]|1[0-2])-(0[1-9]|1[0-9]|2[0-8])$"}
OPTIONAL_DATE = {"type": "string", "pattern": "^((19[0-9]{2}|20[0-9]{2})-(0[1-9]|1[0-2])-(0[1-9]|1[0-9]|2[0-8]))?$",
                 "description": "A day, YYYY-MM-DD; empty: the default. The range is at most 366 days."}
OPTIONAL_CODE = {"type": "string", "pattern": "^([^\\s?#/\\x00-\\x1f\\x7f-\\x9f]{1,64})?$"}
LEVEL = {"type": "string", "enum": ["national", "ministry", "province", "department", "commune"]}
FREQUENCY = {"type": "string", "enum": ["daily", "weekly", "monthly", "quarterly", "six_monthly", "nine_monthly", "yearly"]}
BOOL = {"type": "boolean"}
LANG = {"type": "string", "enum": ["vi", "en"]}
COUNT = {"type": "integer", "minimum": 0, "maximum": 18446744073709551615}
POSITIVE = {"type": "integer", "minimum": 1, "maximum": 1000000}
DIMENSIONS = {"type": "string", "pattern": "^(indicator|agency|period)(,(indicator|agency|period))?$"}
CATEGORY = {"type": "string", "enum": ["sex", "area"]}
PIVOT_AXIS = {"type": "array", "items": {"type": "string", "enum": ["indicator", "agency", "period"]}, "uniqueItems": True}

def query_schema(op_path, name, method):
    if name in ("as_of",):
        return DATE
    if name in ("from", "to"):
        return OPTIONAL_DATE if op_path == "/api/v1/schedule" else PERIOD
    if name in ("period", "startPeriod", "endPeriod"):
        return PERIOD
    if name == "agency" and op_path == "/api/v1/schedule":
        return OPTIONAL_CODE
    if name in ("issuer", "q"):
        return {"type": "string"}
    if name == "dataSet" and method == "post":
        return {"type": "string", "description": "The regime of a CSV payload (JSON and ADX name it inside)."}
    if name in ("indicator", "agency", "parent", "regime", "dataSet", "orgUnit"):
        return CODE
    if name == "level":
        return LEVEL
    if name in ("limit", "offset"):
        return COUNT
    if name == "page":
        return {"type": "integer", "minimum": 1, "maximum": 1000000}
    if name == "min_shared":
        return {"type": "integer", "minimum": 0, "maximum": 18446744073709551615}
    if name == "year":
        return {"type": "integer", "minimum": 1900, "maximum": 2100}
    if name == "against":
        return POSITIVE
    if name in ("children", "dry_run", "dryRun"):
        return BOOL
    if name == "lang":
        return LANG
    if name == "disaggregate":
        return CATEGORY
    if name in ("rows", "columns"):
        return DIMENSIONS
    if name == "shape":
        return {"type": "string", "enum": ["table", "long"]}
    if name == "importStrategy":
        return {"type": "string", "enum": ["CREATE", "UPDATE", "CREATE_AND_UPDATE", "DELETE"]}
    if name == "atomicMode":
        return {"type": "string", "enum": ["ALL", "NONE", "TRUE", "FALSE", "all", "none", "true", "false"]}
    if name == "format":
        if "dataValueSets" in op_path:
            return {"type": "string", "enum": ["json", "csv", "adx"]}
        return {"type": "string", "enum": ["csv", "xlsx"]}
    if name == "options":
        return {"type": "string", "pattern": "^(sex=(male|female)|area=(urban|rural))(;area=(urban|rural))?$"}
    return None

def path_schema(name):
    if name in ("code", "regime", "agency", "form", "flow"):
        return CODE
    if name == "period":
        return PERIOD
    if name in ("number", "id"):
        return POSITIVE
    if name == "date":
        return DATE
    if name == "frequency":
        return FREQUENCY
    if name == "key":
        return {"type": "string", "pattern": "^[^\\s?#/\\x00-\\x1f\\x7f-\\x9f]{1,200}$"}
    return None

def obj(required, properties, extra=True):
    return {"type": "object", "required": required, "properties": properties}

STR = {"type": "string", "minLength": 1}
CELL = obj(["form", "row", "column"], {
    "form": CODE, "row": CODE,
    "column": {"type": "string", "enum": ["this_period", "same_period_last_year", "year_to_date", "previous_period", "plan"]},
    "options": {"type": "object", "additionalProperties": {"type": "string"}},
    "value": {"type": ["string", "number", "boolean", "null"]}})
SLOT = obj(["regime", "agency", "period"], {"regime": CODE, "agency": CODE, "period": PERIOD})
ANALYTICS = {
    "indicator": {"type": "array", "items": CODE, "minItems": 1, "maxItems": 50},
    "period": {"type": "array", "items": PERIOD, "minItems": 1, "maxItems": 60},
    "agency": CODE, "level": LEVEL, "as_of": DATE,
    "disaggregate": {"type": "array", "items": CATEGORY, "uniqueItems": True}}
FIELD = {"type": "object", "properties": {"field": {"type": ["string", "null"]}, "value": {"type": ["string", "null"]},
         "codes": {"type": "object", "additionalProperties": {"type": "string"}}},
         "anyOf": [{"required": ["field"], "properties": {"field": {"type": "string"}}}, {"required": ["value"], "properties": {"value": {"type": "string"}}}]}
BODIES = {
    ("post", "/api/v1/auth/token"): obj(["username", "password"], {"username": STR, "password": STR}),
    ("put", "/api/v1/reports/{regime}/{agency}/{period}/draft"): obj(["version"], {
        "version": {"type": "integer", "minimum": 0, "maximum": 2147483647},
        "values": {"type": "array", "items": CELL},
        "sections": {"type": "array", "items": obj(["index", "text"], {"index": {"type": "integer", "minimum": 0, "maximum": 100000}, "text": {"type": "string"}})}}),
    ("post", "/api/v1/reports/accept"): obj(["reports"], {"reports": {"type": "array", "items": SLOT, "minItems": 1}}),
    ("put", "/api/v1/calendar/days/{date}"): obj(["kind"], {
        "kind": {"type": "string", "enum": ["holiday", "working_day"]},
        "name_vi": {"type": "string"}, "name_en": {"type": "string"}}),
    ("post", "/api/v1/clients"): obj(["name", "agency"], {
        "name": {"type": "string", "pattern": "^[a-z0-9._-]{3,64}$"}, "agency": CODE,
        "full_name": {"type": "string"}, "regimes": {"type": "array", "items": CODE},
        "push": BOOL, "pull": BOOL, "submit": BOOL,
        "rate_per_minute": {"type": "integer", "minimum": 1, "maximum": 100000}}),
    ("post", "/api/v1/quality/discrepancies/authoritative"): obj(["agency", "period", "indicator", "source"], {
        "agency": CODE, "period": PERIOD, "indicator": CODE, "source": STR,
        "options": {"type": "object", "additionalProperties": {"type": "string"}}}),
    ("post", "/api/v1/regimes/{code}/publish"): obj(["effective_from"], {"effective_from": DATE}),
    ("post", "/api/v1/regimes/{code}/assignments"): obj(["assignments"], {"assignments": {
        "type": "array", "items": obj(["reporting_agency", "receiving_agency"], {
            "reporting_agency": CODE, "receiving_agency": CODE,
            "valid_from": DATE, "valid_to": DATE})}}),
    ("post", "/api/v1/rules/check"): obj(["regime", "expression"], {
        "regime": CODE, "expression": STR,
        "kind": {"type": "string", "enum": ["condition", "formula"]},
        "values": {"type": "array", "items": CELL}}),
    ("post", "/api/v1/analytics"): obj(["indicator", "period"], ANALYTICS),
    ("post", "/api/v1/pivot"): obj(["indicator", "period"], dict(ANALYTICS, rows=PIVOT_AXIS, columns=PIVOT_AXIS, lang=LANG)),
    ("post", "/api/v1/pivot/export"): obj(["indicator", "period"], dict(ANALYTICS, rows=PIVOT_AXIS, columns=PIVOT_AXIS, lang=LANG)),
    ("put", "/api/v1/indicators/{code}/outlier-settings"): obj(["z_threshold", "year_on_year", "min_points"], {
        "z_threshold": {"type": "number", "exclusiveMinimum": 0, "maximum": 100},
        "year_on_year": {"type": "number", "exclusiveMinimum": 0, "maximum": 100},
        "min_points": {"type": "integer", "minimum": 1, "maximum": 1000}}),
    ("put", "/api/v1/connectors/{code}"): obj(["name", "url", "format", "every_minutes", "mapping"], {
        "name": STR, "url": {"type": "string", "pattern": "^https?://[A-Za-z0-9-]+(\\.[A-Za-z0-9-]+)*(:[1-9][0-9]{0,3})?(/[A-Za-z0-9._~/-]*)?$"},
        "format": {"type": "string", "enum": ["json", "csv"]},
        "auth": {"oneOf": [
            obj(["kind"], {"kind": {"const": "none"}}),
            obj(["kind", "token"], {"kind": {"const": "bearer"}, "token": {"type": "string"}}),
            obj(["kind", "username", "password"], {"kind": {"const": "basic"}, "username": {"type": "string"}, "password": {"type": "string"}}),
            obj(["kind", "name", "value"], {"kind": {"const": "header"}, "name": {"type": "string", "pattern": "^[A-Za-z0-9-]{1,64}$"}, "value": {"type": "string", "pattern": "^[ -~]{0,1000}$"}})]},
        "every_minutes": {"type": "integer", "minimum": 1, "maximum": 44640},
        "enabled": {"type": ["boolean", "null"]},
        "mapping": obj(["indicator", "agency", "period", "value"], {
            "records": {"type": "string", "pattern": "^(/.*)?$"},
            "indicator": FIELD, "agency": FIELD, "period": FIELD, "value": FIELD,
            "options": {"type": "object", "additionalProperties": FIELD}})}),
    ("put", "/api/v1/tables/{code}"): obj(["theme_vi", "title_vi", "indicators", "agency", "periods"], {
        "theme_vi": STR, "title_vi": STR, "indicators": {"type": "array", "items": CODE, "minItems": 1},
        "agency": CODE, "level": LEVEL,
        "periods": {"oneOf": [
            obj(["frequency", "last"], {"frequency": FREQUENCY, "last": {"type": "integer", "minimum": 1, "maximum": 60}}),
            obj(["list"], {"list": {"type": "array", "items": PERIOD, "minItems": 1}})]},
        "disaggregate": {"type": "array", "items": CATEGORY},
        "chart": {"type": "string", "enum": ["line", "bar", "stacked", "map"]}}),
}
DATA_VALUE_SET = obj(["dataSet", "dataValues"], {
    "dataSet": CODE, "period": PERIOD, "orgUnit": CODE, "completeDate": {"type": "string"},
    "dataValues": {"type": "array", "items": obj(["dataElement"], {
        "dataElement": CODE, "period": PERIOD, "orgUnit": CODE,
        "categoryOptionCombo": {"type": "string", "pattern": "^(default|(sex=(male|female)|area=(urban|rural))(;area=(urban|rural))?)?$"},
        "value": {"type": ["string", "number", "boolean", "null"]},
        "deleted": BOOL, "comment": {"type": "string"}})}})
for p in ("/api/v1/dataValueSets", "/api/dataValueSets"):
    BODIES[("post", p)] = DATA_VALUE_SET
NEW_AGENCY = obj(["code", "name_vi", "kind"], {"code": CODE, "name_vi": STR, "name_en": {"type": "string"},
    "kind": {"type": "string", "enum": ["government", "ministry", "ministerial_agency", "province", "city", "department", "commune"]},
    "parent": CODE})
def event(name, required, properties):
    return obj(["event", "date"] + required, dict({"event": {"type": "string", "const": name}, "date": DATE}, **properties))
BODIES[("post", "/api/v1/agencies/events")] = {"oneOf": [
    event("rename", ["code", "name_vi"], {"code": CODE, "name_vi": STR, "name_en": {"type": "string"}, "kind": NEW_AGENCY["properties"]["kind"]}),
    event("reparent", ["code"], {"code": CODE, "parent": CODE}),
    event("merge", ["predecessors", "successor"], {"predecessors": {"type": "array", "items": CODE, "minItems": 2}, "successor": NEW_AGENCY}),
    event("split", ["predecessor", "successors"], {"predecessor": CODE, "successors": {"type": "array", "items": NEW_AGENCY, "minItems": 2},
        "children": {"type": "object", "additionalProperties": CODE}}),
    event("dissolve", ["code"], {"code": CODE, "into": CODE})]}
REGIME = obj(["code", "kind"], {"code": CODE, "kind": {"type": "string", "enum": ["periodic", "thematic", "ad_hoc"]},
    "name": {"type": ["string", "null"]}, "name_en": {"type": "string"},
    "frequency": {"type": ["string", "null"], "enum": ["daily", "weekly", "monthly", "quarterly", "six_monthly", "nine_monthly", "yearly", "dated", None]},
    "content_requirements": {"type": ["string", "null"]},
    "forms": {"type": "array", "items": obj(["code", "title_vi", "values", "columns", "rows"], {
        "code": CODE, "title_vi": STR,
        "columns": {"type": "array", "items": {"type": "string", "enum": ["this_period", "same_period_last_year", "year_to_date", "previous_period", "plan"]}},
        "rows": {"type": "array", "items": obj(["indicator"], {"indicator": CODE})}})},
    "outline": {"type": "array", "items": obj(["heading_vi"], {"heading_vi": {"type": "string"}, "heading_en": {"type": "string"}, "guidance_vi": {"type": "string"}, "guidance_en": {"type": "string"}})},
    "rules": {"type": "array", "items": obj(["expression", "severity", "message_vi"], {"expression": STR, "severity": {"type": "string", "enum": ["error", "warning"]}, "message_vi": STR, "message_en": {"type": "string"}})},
    "derived": {"type": "array", "items": obj(["code", "formula"], {"code": CODE, "formula": STR})}})
BODIES[("post", "/api/v1/regimes")] = REGIME
BODIES[("put", "/api/v1/regimes/{code}/draft")] = REGIME
ACTION = obj([], {"reason": {"type": "string"}, "explanations": {"type": "array", "items": obj(["rule", "text"], {"rule": STR, "text": STR})}})
for action in ("submit", "accept", "return", "reopen"):
    BODIES[("post", "/api/v1/reports/{regime}/{agency}/{period}/" + action)] = ACTION

for p, item in doc["paths"].items():
    for method, op in item.items():
        for param in op.get("parameters", []):
            if param["in"] == "query":
                schema = query_schema(p, param["name"], method)
            elif param["in"] == "path":
                schema = path_schema(param["name"])
            else:
                schema = None
            if schema is not None:
                param["schema"] = dict(schema)
            elif param["schema"].get("type") == "string" and param["in"] == "query" and param["name"] != "q":
                param["schema"]["minLength"] = 1
        body = BODIES.get((method, p))
        if body is not None:
            op["requestBody"]["content"]["application/json"]["schema"] = body
        # Whatever else goes wrong is answered in the one error shape.
        op["responses"].setdefault("default", {"$ref": "#/components/responses/Error"})
        if method != "get":
            op["responses"].setdefault("409", {"$ref": "#/components/responses/Error"})
        # POST /regimes takes a regime, not the list's paging.
        if (method, p) == ("post", "/api/v1/regimes"):
            op.pop("parameters", None)

json.dump(doc, open(path, "w"), indent=1, ensure_ascii=False)
open(path, "a").write("\n")
