#!/usr/bin/env python3
"""The editor schema (schema/dsim-scenario.schema.json) must accept every
catalogue scenario and reject the schema-detectable bad fixtures. The
loader's own errors stay the authority; this keeps the schema honest. The
file is `dsim schema --scenario` output, assembled from every registered
protocol's section: regenerate it with that command when a protocol changes.
Usage: check_schema.py SOURCE_DIR [DSIM]"""
import glob
import json
import os
import sys

import subprocess

import jsonschema
import yaml

src = sys.argv[1]
schema = json.load(open(os.path.join(src, "schema/dsim-scenario.schema.json")))
jsonschema.Draft7Validator.check_schema(schema)
validator = jsonschema.Draft7Validator(schema)

failures = passes = 0
if len(sys.argv) > 2:
    generated = json.loads(subprocess.run([sys.argv[2], "schema", "--scenario"], check=True, capture_output=True,
                                          text=True).stdout)
    if generated != schema:
        failures += 1
        print("FAIL: schema/dsim-scenario.schema.json differs from `dsim schema --scenario`; regenerate it")
    else:
        passes += 1
for path in sorted(glob.glob(os.path.join(src, "scenarios/*/*.yaml"))):
    errors = list(validator.iter_errors(yaml.safe_load(open(path))))
    if errors:
        failures += 1
        print(f"FAIL: {path} rejected by the schema: {errors[0].message}")
    else:
        passes += 1

# Bad fixtures that a schema can see (syntax-level ones cannot even load,
# and cross-references like unknown node names are the loader's job).
schema_visible = ["unknown-key", "duration-space", "duration-no-unit", "probability-above-one",
                  "probability-negative", "version-too-new", "missing-protocol", "unknown-protocol",
                  "quoted-integer", "unknown-distribution", "two-actions-in-fault", "unknown-check",
                  "for-on-crash", "pause-without-for", "negative-duration",
                  "storage-unknown-key", "network-fault-empty", "pareto-bad-shape", "schedule-unknown-action"]
for name in schema_visible:
    path = os.path.join(src, "tests/testdata/bad-scenarios", name + ".yaml")
    doc = yaml.safe_load(open(path))
    if validator.is_valid(doc):
        failures += 1
        print(f"FAIL: {path} accepted by the schema")
    else:
        passes += 1
print(f"{passes} passed, {failures} failed")
sys.exit(1 if failures else 0)
