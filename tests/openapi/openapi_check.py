#!/usr/bin/python3
"""Checks docs/openapi.yaml against the daemon, with Debian's python3-yaml and
python3-jsonschema (Draft 2020-12, the dialect of OpenAPI 3.1).

  openapi_check.py document  OPENAPI.yaml
      The file is a well-formed OpenAPI 3.1 document: the objects have only
      the fields OpenAPI 3.1 defines for them, texts are strings, every
      $ref resolves, path parameters are the template's, operationIds
      unique, security schemes defined, and every schema valid under the
      JSON Schema 2020-12 meta-schema (which python3-jsonschema carries).
  openapi_check.py routes    OPENAPI.yaml ROUTES.json
      The daemon's route table (a list of {"methods", "path", "auth"}) and
      the file's paths and methods are the same, both ways, with the same
      authentication.
  openapi_check.py responses OPENAPI.yaml EXCHANGES.json
      Each recorded exchange ({"method", "route", "target", "status",
      "content_type", "headers", "body", "request_body",
      "request_content_type"}) is allowed by the file: its status is listed
      for the route, its content type is described, its body (each
      Server-Sent Event's data, for a stream) and headers validate against
      their schemas, and a JSON request body the daemon took validates
      against the route's request schema while one it refused for its
      content does not. Every path and method of the file must have been
      answered at least once.

Exits 1 with one line per violation, 0 when there is none.
"""
import json
import os
import re
import sys

import jsonschema
import yaml

# The fields OpenAPI 3.1 defines for the objects this file uses (extensions,
# "x-...", are allowed everywhere). A misspelt or misplaced field is a
# description no tool reads.
FIELDS = {
    "document": {"openapi", "info", "jsonSchemaDialect", "servers", "paths", "webhooks",
                 "components", "security", "tags", "externalDocs"},
    "info": {"title", "summary", "description", "termsOfService", "contact", "license",
             "version"},
    "path": {"$ref", "summary", "description", "get", "put", "post", "delete", "options",
             "head", "patch", "trace", "servers", "parameters"},
    "operation": {"tags", "summary", "description", "externalDocs", "operationId",
                  "parameters", "requestBody", "responses", "callbacks", "deprecated",
                  "security", "servers"},
    "parameter": {"name", "in", "description", "required", "deprecated", "allowEmptyValue",
                  "style", "explode", "allowReserved", "schema", "example", "examples",
                  "content"},
    "request_body": {"description", "content", "required"},
    "response": {"description", "headers", "content", "links"},
    "media_type": {"schema", "example", "examples", "encoding"},
    "header": {"description", "required", "deprecated", "style", "explode", "schema",
               "example", "examples", "content"},
    "security_scheme": {"type", "description", "name", "in", "scheme", "bearerFormat",
                        "flows", "openIdConnectUrl"},
}


def unknown_fields(node, kind, where):
    if not isinstance(node, dict):
        return ["%s: must be a mapping (%s)" % (where, kind)]
    if "$ref" in node:
        return []
    return ["%s: %s is not a field of an OpenAPI 3.1 %s object" % (where, k, kind.replace("_", " "))
            for k in node if not k.startswith("x-") and k not in FIELDS[kind]]


def texts_are_strings(node, where, under_properties=False):
    """summary and description are plain text; YAML turns an unquoted text
    with ": " in it into a mapping, which tools then drop or reject."""
    problems = []
    if isinstance(node, dict):
        for key, value in node.items():
            here = where + "/" + str(key)
            if key in ("summary", "description") and not under_properties and not isinstance(value, str):
                problems.append("%s: must be a text, not %s (quote it)" % (here, type(value).__name__))
            problems += texts_are_strings(value, here, key == "properties" and not under_properties)
    elif isinstance(node, list):
        for i, value in enumerate(node):
            problems += texts_are_strings(value, "%s/%d" % (where, i))
    return problems


def check_fields(doc):
    problems = unknown_fields(doc, "document", "#")
    problems += unknown_fields(doc.get("info"), "info", "#/info")
    for path, item in (doc.get("paths") or {}).items():
        where = "#/paths/" + path.replace("~", "~0").replace("/", "~1")
        problems += unknown_fields(item, "path", where)
        if not isinstance(item, dict):
            continue
        for p in item.get("parameters", []):
            problems += unknown_fields(p, "parameter", where + "/parameters")
        for method, op in item.items():
            if method not in METHODS:
                continue
            here = where + "/" + method
            problems += unknown_fields(op, "operation", here)
            if not isinstance(op, dict):
                continue
            for p in op.get("parameters", []):
                problems += unknown_fields(p, "parameter", here + "/parameters")
            if "requestBody" in op:
                problems += unknown_fields(op["requestBody"], "request_body", here + "/requestBody")
                for media, m in (op["requestBody"].get("content") or {}).items():
                    problems += unknown_fields(m, "media_type", here + "/requestBody/" + media)
            for status, response in (op.get("responses") or {}).items():
                problems += unknown_fields(response, "response", "%s/responses/%s" % (here, status))
                if not isinstance(response, dict):
                    continue
                for name, header in (response.get("headers") or {}).items():
                    problems += unknown_fields(header, "header", "%s/responses/%s/headers/%s" % (here, status, name))
                for media, m in (response.get("content") or {}).items():
                    problems += unknown_fields(m, "media_type", "%s/responses/%s/%s" % (here, status, media))
    components = doc.get("components") or {}
    for kind, section in (("parameter", "parameters"), ("response", "responses"),
                          ("header", "headers"), ("request_body", "requestBodies"),
                          ("security_scheme", "securitySchemes")):
        for name, node in (components.get(section) or {}).items():
            problems += unknown_fields(node, kind, "#/components/%s/%s" % (section, name))
    return problems + texts_are_strings(doc, "#")

METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")


def load(path):
    with open(path, encoding="utf-8") as f:
        return yaml.safe_load(f)


def pointer(doc, ref):
    node = doc
    for part in ref[2:].split("/") if ref != "#" else []:
        part = part.replace("~1", "/").replace("~0", "~")
        if isinstance(node, list):
            node = node[int(part)]
        elif isinstance(node, dict) and part in node:
            node = node[part]
        else:
            raise KeyError(ref)
    return node


def resolved(doc, node):
    """A Reference Object's target (followed through chains), or the node."""
    seen = 0
    while isinstance(node, dict) and "$ref" in node and seen < 20:
        node = pointer(doc, node["$ref"])
        seen += 1
    return node


# ---------------------------------------------------------------- document

def check_document(doc):
    problems = []
    if not isinstance(doc, dict):
        return ["the file is not a YAML mapping"]
    if not str(doc.get("openapi", "")).startswith("3.1."):
        problems.append("openapi: must be 3.1.x, not %r" % doc.get("openapi"))
    info = doc.get("info")
    if not isinstance(info, dict) or not info.get("title") or not info.get("version"):
        problems.append("info: needs a title and a version")
    paths = doc.get("paths")
    if not isinstance(paths, dict) or not paths:
        problems.append("paths: missing or empty")
        paths = {}

    def walk(node, where):
        if isinstance(node, dict):
            ref = node.get("$ref")
            if isinstance(ref, str):
                if not ref.startswith("#/"):
                    problems.append("%s: $ref %s is not local to the file" % (where, ref))
                else:
                    try:
                        pointer(doc, ref)
                    except (KeyError, ValueError, IndexError):
                        problems.append("%s: $ref %s does not resolve" % (where, ref))
            for key, value in node.items():
                walk(value, where + "/" + str(key))
        elif isinstance(node, list):
            for i, value in enumerate(node):
                walk(value, "%s/%d" % (where, i))

    walk(doc, "#")
    if problems:
        return problems
    problems += check_fields(doc)
    if problems:
        return problems

    operation_ids = {}
    schemes = (doc.get("components") or {}).get("securitySchemes") or {}
    for path, item in paths.items():
        if not path.startswith("/"):
            problems.append("%s: a path must start with /" % path)
        templated = set(re.findall(r"\{([^}]+)\}", path))
        common = [resolved(doc, p) for p in item.get("parameters", [])]
        operations = {m: op for m, op in item.items() if m in METHODS}
        if not operations:
            problems.append("%s: no operation" % path)
        for method, op in operations.items():
            where = "%s %s" % (method.upper(), path)
            oid = op.get("operationId")
            if oid in operation_ids:
                problems.append("%s: operationId %s is also %s's" % (where, oid, operation_ids[oid]))
            operation_ids[oid] = where
            params = common + [resolved(doc, p) for p in op.get("parameters", [])]
            declared = {p.get("name") for p in params if p.get("in") == "path"}
            for p in params:
                if p.get("in") not in ("query", "header", "path", "cookie"):
                    problems.append("%s: parameter %s has no valid 'in'" % (where, p.get("name")))
                if p.get("in") == "path" and p.get("required") is not True:
                    problems.append("%s: path parameter %s must be required" % (where, p.get("name")))
            if declared != templated:
                problems.append("%s: path parameters declared %s, in the template %s"
                                % (where, sorted(declared), sorted(templated)))
            responses = op.get("responses")
            if not isinstance(responses, dict) or not responses:
                problems.append("%s: no responses" % where)
                continue
            for status, response in responses.items():
                if not re.fullmatch(r"[1-5][0-9][0-9]|[1-5]XX|default", str(status)):
                    problems.append("%s: response key %r is not a status" % (where, status))
                if not isinstance(status, str):
                    problems.append("%s: status %r must be quoted (a string)" % (where, status))
                if "description" not in resolved(doc, response):
                    problems.append("%s %s: a response needs a description" % (where, status))
            for requirement in op.get("security", doc.get("security", [])):
                for name in requirement:
                    if name not in schemes:
                        problems.append("%s: security scheme %s is not defined" % (where, name))

    def schemas(node, where):
        """Every Schema Object outside components/schemas: parameters',
        headers' and media types' schemas, and the streams' event schemas."""
        if isinstance(node, dict):
            for key, value in node.items():
                here = where + "/" + str(key)
                if key == "schema":
                    yield here, value
                elif key == "x-sse-events" and isinstance(value, dict):
                    for event, schema in value.items():
                        yield here + "/" + event, schema
                elif here != "#/components/schemas":
                    yield from schemas(value, here)
        elif isinstance(node, list):
            for i, value in enumerate(node):
                yield from schemas(value, "%s/%d" % (where, i))

    found = list(schemas(doc, "#"))
    found += [("#/components/schemas/" + name, schema)
              for name, schema in ((doc.get("components") or {}).get("schemas") or {}).items()]
    for where, schema in found:
        try:
            jsonschema.Draft202012Validator.check_schema(schema)
        except jsonschema.exceptions.SchemaError as e:
            problems.append("%s: not a valid schema: %s" % (where, e.message[:300]))
    return problems


# ------------------------------------------------------------------ routes

def file_path(router_path):
    """The router writes a rest-of-path parameter as {name...}."""
    return re.sub(r"\{([^}.]+)\.\.\.\}", r"{\1}", router_path)


def auth_of(doc, op):
    requirements = op.get("security", doc.get("security", []))
    if not requirements or {} in requirements:
        return "none"
    for requirement in requirements:
        if "bearer" in requirement:
            return "bearer " + ",".join(requirement["bearer"])
    return "verified"


def router_auth(text):
    """The daemon's words for who may call a route (api::route::auth_text)."""
    if text == "anyone":
        return "none"
    scope = re.fullmatch(r"a token of scope (\w+)", text)
    if scope:
        return "bearer " + scope.group(1)
    return "verified" if text == "a request its verifier accepts" else text


def check_routes(doc, routes):
    problems = []
    in_router = {}
    for r in routes:
        r = dict(r, auth=router_auth(r["auth"]))
        methods = list(r["methods"])
        if "GET" in methods and "HEAD" not in methods:
            methods.append("HEAD")  # the router answers HEAD wherever GET is
        for m in methods:
            in_router[(m, file_path(r["path"]))] = (r["path"], r["auth"])
    in_file = {}
    for path, item in doc["paths"].items():
        for method, op in item.items():
            if method in METHODS:
                in_file[(method.upper(), path)] = auth_of(doc, op)
    for key in sorted(in_router):
        if key not in in_file:
            problems.append("in the router but not in docs/openapi.yaml: %s %s (auth: %s)"
                            % (key[0], in_router[key][0], in_router[key][1]))
        elif in_file[key] != in_router[key][1]:
            problems.append("%s %s: the router's auth is '%s', docs/openapi.yaml says '%s'"
                            % (key[0], key[1], in_router[key][1], in_file[key]))
    for key in sorted(in_file):
        if key not in in_router:
            problems.append("in docs/openapi.yaml but not in the router: %s %s" % key)
    return problems


# --------------------------------------------------------------- responses

def validate(doc, schema, instance):
    """Errors of `instance` under `schema`, a part of `doc` whose $refs point
    into the document: validated as the document with a $ref at its root."""
    root = dict(doc)
    root["x-validated-schema"] = schema
    root["$ref"] = "#/x-validated-schema"
    validator = jsonschema.Draft202012Validator(root)
    out = []
    for e in sorted(validator.iter_errors(instance), key=lambda e: list(e.absolute_path)):
        where = "/".join(str(p) for p in e.absolute_path) or "(the body)"
        out.append("%s: %s" % (where, e.message[:300]))
    return out


def sse_messages(text):
    """(event, data) of each complete message; comments skipped."""
    out = []
    for block in text.replace("\r\n", "\n").split("\n\n")[:-1]:
        event, data = "message", []
        lines = [l for l in block.split("\n") if l and not l.startswith(":")]
        if not lines:
            continue
        for line in lines:
            field, _, value = line.partition(":")
            value = value[1:] if value.startswith(" ") else value
            if field == "event":
                event = value
            elif field == "data":
                data.append(value)
        out.append((event, "\n".join(data)))
    return out


def media_type(content, sent):
    if sent in content:
        return sent
    base = sent.split(";")[0].strip().lower()
    for key in content:
        if key.split(";")[0].strip().lower() == base:
            return key
    return None


# The refusals of a request body the route's schema should refuse as well.
BODY_REFUSALS = ("invalid_json", "unknown_field", "invalid_field", "invalid_ref",
                 "invalid_weights", "invalid_reason")


def check_request_body(doc, op, x, where):
    """The file's request schema agrees with the daemon on the body sent: an
    accepted JSON body validates, a body refused for its content does not."""
    if "requestBody" not in op or "request_body" not in x:
        return []
    request = resolved(doc, op["requestBody"])
    key = media_type(request.get("content", {}), x.get("request_content_type") or "application/json")
    if key is None or key.split(";")[0].strip() != "application/json":
        return []
    text = x["request_body"]
    try:
        instance = json.loads(text) if text else {}  # an empty body is an empty object
        errors = validate(doc, request["content"][key].get("schema", {}), instance)
    except ValueError:
        errors = ["the request body is not JSON"]
    status = int(x["status"])
    if 200 <= status < 300 and errors:
        return ["%s: the daemon took a request body the file refuses (%s): %s"
                % (where, text[:200], "; ".join(errors))]
    if status == 400 and not errors:
        try:
            code = json.loads(x.get("body", ""))["error"]["code"]
        except (ValueError, KeyError, TypeError):
            code = None
        if code in BODY_REFUSALS:
            return ["%s: the daemon refused (%s) a request body the file allows: %s"
                    % (where, code, text[:200])]
    return []


def check_exchange(doc, x):
    where = "%s %s (%s) -> %s" % (x["method"], x["route"], x["target"], x["status"])
    item = doc["paths"].get(file_path(x["route"]))
    if item is None:
        return ["%s: the route is not in the file" % where]
    op = item.get(x["method"].lower())
    if op is None:
        return ["%s: the method is not in the file for this path" % where]
    responses = op["responses"]
    status = str(x["status"])
    response = responses.get(status) or responses.get(status[0] + "XX") or responses.get("default")
    if response is None:
        return ["%s: status %s is not listed (listed: %s)" % (where, status, ", ".join(sorted(responses)))]
    response = resolved(doc, response)
    problems = check_request_body(doc, op, x, where)
    headers = x.get("headers", {})
    for name, header in (response.get("headers") or {}).items():
        header = resolved(doc, header)
        value = headers.get(name.lower())
        if value is None:
            if header.get("required"):
                problems.append("%s: header %s is missing" % (where, name))
            continue
        schema = header.get("schema", {})
        instance = int(value) if schema.get("type") == "integer" and value.isdigit() else value
        problems += ["%s: header %s: %s" % (where, name, e) for e in validate(doc, schema, instance)]
    body = x.get("body", "")
    content = response.get("content")
    if x["method"] == "HEAD" or status in ("204", "304"):
        if body:
            problems.append("%s: a body where none may be" % where)
        return problems
    if not content:
        if body:
            problems.append("%s: a body, but the file describes none" % where)
        return problems
    sent = x.get("content_type", "")
    key = media_type(content, sent)
    if key is None:
        return problems + ["%s: content type %r is not described (described: %s)"
                           % (where, sent, ", ".join(content))]
    media = content[key]
    base = key.split(";")[0].strip()
    if base == "application/json":
        try:
            instance = json.loads(body)
        except ValueError as e:
            return problems + ["%s: the body is not JSON: %s" % (where, e)]
        problems += ["%s: %s" % (where, e) for e in validate(doc, media.get("schema", {}), instance)]
    elif base == "text/event-stream":
        events = media.get("x-sse-events", {})
        for event, data in sse_messages(body):
            if event not in events:
                problems.append("%s: event %r is not described (described: %s)"
                                % (where, event, ", ".join(events)))
                continue
            try:
                instance = json.loads(data)
            except ValueError as e:
                problems.append("%s: event %s: data is not JSON: %s" % (where, event, e))
                continue
            problems += ["%s: event %s: %s" % (where, event, e)
                         for e in validate(doc, events[event], instance)]
    else:
        schema = media.get("schema", {})
        if schema.get("type") == "string" and "contentEncoding" not in schema:
            problems += ["%s: %s" % (where, e) for e in validate(doc, schema, body)]
    return problems


def check_responses(doc, exchanges):
    problems = []
    for x in exchanges:
        problems += check_exchange(doc, x)
    # Every operation of the file was answered at least once: a route the
    # exchanges leave out would pass unchecked, however wrong its schemas.
    answered = {(x["method"].lower(), file_path(x["route"])) for x in exchanges}
    for path, item in doc["paths"].items():
        for method in item:
            if method in METHODS and (method, path) not in answered:
                problems.append("%s %s: no answer of it was checked; make the test call it"
                                % (method.upper(), path))
    return problems


def main(argv):
    if len(argv) < 3 or argv[1] not in ("document", "routes", "responses"):
        print(__doc__.strip(), file=sys.stderr)
        return 2
    doc = load(argv[2])
    problems = check_document(doc)
    if not problems and argv[1] != "document":
        with open(argv[3], encoding="utf-8") as f:
            data = json.load(f)
        problems = check_routes(doc, data) if argv[1] == "routes" else check_responses(doc, data)
        if argv[1] == "responses":
            print("%d exchanges checked" % len(data))
    for p in problems:
        print(p)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
