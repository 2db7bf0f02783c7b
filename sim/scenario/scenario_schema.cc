#include "sim/scenario/scenario_schema.h"

#include <nlohmann/json.hpp>

#include "dsim/assert.h"

namespace dsim::scenario {
namespace {

using Json = nlohmann::ordered_json;

// The generic parts. Placeholders filled from the registry: "$PROTOCOLS" and
// "$CHECKS" (enums), "$COUNTS" (the workload's count keys) and "$SECTIONS"
// (each protocol's section).
constexpr const char* kBase = R"json({
  "$schema": "http://json-schema.org/draft-07/schema#",
  "$id": "dsim-scenario.schema.json",
  "title": "dsim scenario (version 1)",
  "description": "A dsim simulation scenario. Reference: docs/scenarios.md.",
  "definitions": {
    "duration": {
      "description": "a duration with a unit: 150ms, 1m30s, 2s, 250us",
      "anyOf": [
        {
          "type": "string",
          "pattern": "^(0|([0-9]+(\\.[0-9]+)?(ns|us|\u00b5s|ms|s|m|h))+)$"
        },
        {
          "const": 0
        }
      ]
    },
    "probability": {
      "description": "a probability in [0, 1], e.g. 0.05",
      "type": "number",
      "minimum": 0,
      "maximum": 1
    },
    "latency": {
      "description": "latency of one link direction: a duration (constant) or a distribution",
      "oneOf": [
        {
          "$ref": "#/definitions/duration"
        },
        {
          "type": "object",
          "properties": {
            "dist": {
              "const": "constant"
            },
            "value": {
              "$ref": "#/definitions/duration",
              "description": "the latency"
            }
          },
          "additionalProperties": false,
          "patternProperties": {
            "^x-": {}
          },
          "required": [
            "dist",
            "value"
          ]
        },
        {
          "type": "object",
          "properties": {
            "dist": {
              "const": "uniform"
            },
            "min": {
              "$ref": "#/definitions/duration",
              "description": "lower bound"
            },
            "max": {
              "$ref": "#/definitions/duration",
              "description": "upper bound"
            }
          },
          "additionalProperties": false,
          "patternProperties": {
            "^x-": {}
          },
          "required": [
            "dist",
            "min",
            "max"
          ]
        },
        {
          "type": "object",
          "properties": {
            "dist": {
              "const": "normal"
            },
            "mean": {
              "$ref": "#/definitions/duration",
              "description": "mean"
            },
            "stddev": {
              "$ref": "#/definitions/duration",
              "description": "standard deviation; truncated at 0"
            }
          },
          "additionalProperties": false,
          "patternProperties": {
            "^x-": {}
          },
          "required": [
            "dist",
            "mean",
            "stddev"
          ]
        },
        {
          "type": "object",
          "properties": {
            "dist": {
              "const": "exponential"
            },
            "mean": {
              "$ref": "#/definitions/duration",
              "description": "mean"
            }
          },
          "additionalProperties": false,
          "patternProperties": {
            "^x-": {}
          },
          "required": [
            "dist",
            "mean"
          ]
        },
        {
          "type": "object",
          "properties": {
            "dist": {
              "const": "lognormal"
            },
            "median": {
              "$ref": "#/definitions/duration",
              "description": "median (e^mu)"
            },
            "sigma": {
              "type": "number",
              "minimum": 0,
              "maximum": 10,
              "description": "shape"
            }
          },
          "additionalProperties": false,
          "patternProperties": {
            "^x-": {}
          },
          "required": [
            "dist",
            "median",
            "sigma"
          ]
        }
      ]
    },
    "signed_duration": {
      "description": "a duration that may be negative: -20ms",
      "anyOf": [
        {
          "type": "string",
          "pattern": "^-?(0|([0-9]+(\\.[0-9]+)?(ns|us|\u00b5s|ms|s|m|h))+)$"
        },
        {
          "const": 0
        }
      ]
    }
  },
  "type": "object",
  "additionalProperties": false,
  "patternProperties": {
    "^x-": {}
  },
  "required": [
    "version",
    "name",
    "protocol",
    "duration",
    "nodes"
  ],
  "properties": {
    "version": {
      "const": 1,
      "description": "scenario format version"
    },
    "name": {
      "type": "string",
      "description": "short name, usually the file name"
    },
    "description": {
      "type": "string",
      "description": "what the scenario shows"
    },
    "protocol": {
      "enum": "$PROTOCOLS",
      "description": "the protocol the nodes run"
    },
    "seed": {
      "type": [
        "integer",
        "string"
      ],
      "description": "default master seed (decimal, 0x-hex or a git commit hash); --seed overrides"
    },
    "duration": {
      "$ref": "#/definitions/duration",
      "description": "virtual time to simulate"
    },
    "max_events": {
      "type": "integer",
      "minimum": 1,
      "description": "event budget (default 100000000)"
    },
    "nodes": {
      "description": "a node count (named n1..nN) or a list of names",
      "oneOf": [
        {
          "type": "integer",
          "minimum": 1,
          "maximum": 1000000
        },
        {
          "type": "array",
          "items": {
            "type": "string",
            "pattern": "^[A-Za-z][A-Za-z0-9_.-]*$",
            "description": "a node name (or a role the protocol exposes, e.g. leader)"
          },
          "minItems": 1,
          "uniqueItems": true
        }
      ]
    },
    "clocks": {
      "type": "object",
      "description": "per-node clock: offset and drift",
      "additionalProperties": {
        "type": "object",
        "properties": {
          "offset": {
            "$ref": "#/definitions/signed_duration",
            "description": "initial offset (may be negative)"
          },
          "drift_ppm": {
            "type": "integer",
            "minimum": -500000,
            "maximum": 500000
          }
        },
        "additionalProperties": false,
        "patternProperties": {
          "^x-": {}
        }
      }
    },
    "network": {
      "type": "object",
      "properties": {
        "latency": {
          "$ref": "#/definitions/latency"
        },
        "drop": {
          "$ref": "#/definitions/probability",
          "description": "probability a message is lost"
        },
        "duplicate": {
          "$ref": "#/definitions/probability",
          "description": "probability a message is delivered twice"
        },
        "links": {
          "type": "array",
          "description": "per-link overrides",
          "items": {
            "type": "object",
            "properties": {
              "latency": {
                "$ref": "#/definitions/latency"
              },
              "drop": {
                "$ref": "#/definitions/probability",
                "description": "probability a message is lost"
              },
              "duplicate": {
                "$ref": "#/definitions/probability",
                "description": "probability a message is delivered twice"
              },
              "from": {
                "type": "string",
                "pattern": "^[A-Za-z][A-Za-z0-9_.-]*$",
                "description": "a node name (or a role the protocol exposes, e.g. leader)"
              },
              "to": {
                "type": "string",
                "pattern": "^[A-Za-z][A-Za-z0-9_.-]*$",
                "description": "a node name (or a role the protocol exposes, e.g. leader)"
              },
              "both_ways": {
                "type": "boolean"
              }
            },
            "additionalProperties": false,
            "patternProperties": {
              "^x-": {}
            },
            "required": [
              "from",
              "to"
            ]
          }
        },
        "topology": {
          "type": "object",
          "properties": {
            "zones": {
              "type": "object",
              "description": "zone name -> its nodes",
              "additionalProperties": {
                "type": "array",
                "items": {
                  "type": "string",
                  "pattern": "^[A-Za-z][A-Za-z0-9_.-]*$",
                  "description": "a node name (or a role the protocol exposes, e.g. leader)"
                },
                "minItems": 1
              }
            },
            "intra_zone": {
              "$ref": "#/definitions/duration",
              "description": "latency inside a zone"
            },
            "links": {
              "type": "array",
              "items": {
                "type": "object",
                "properties": {
                  "between": {
                    "type": "array",
                    "items": {
                      "type": "string"
                    },
                    "minItems": 2,
                    "maxItems": 2
                  },
                  "latency": {
                    "$ref": "#/definitions/duration",
                    "description": "latency of this link"
                  }
                },
                "additionalProperties": false,
                "patternProperties": {
                  "^x-": {}
                },
                "required": [
                  "between",
                  "latency"
                ]
              }
            }
          },
          "additionalProperties": false,
          "patternProperties": {
            "^x-": {}
          },
          "required": [
            "zones"
          ],
          "description": "zones joined by links; node-to-node base latency is the shortest path"
        }
      },
      "additionalProperties": false,
      "patternProperties": {
        "^x-": {}
      },
      "description": "the network model"
    },
    "workload": {
      "type": "object",
      "properties": {
        "from": {
          "anyOf": [
            {
              "const": "any"
            },
            {
              "type": "string",
              "pattern": "^[A-Za-z][A-Za-z0-9_.-]*$",
              "description": "a node name (or a role the protocol exposes, e.g. leader)"
            },
            {
              "type": "array",
              "items": {
                "type": "string",
                "pattern": "^[A-Za-z][A-Za-z0-9_.-]*$",
                "description": "a node name (or a role the protocol exposes, e.g. leader)"
              }
            }
          ],
          "description": "which nodes receive the requests: any (random), a node, or a list (round robin)"
        },
        "start": {
          "$ref": "#/definitions/duration",
          "description": "first request"
        },
        "interval": {
          "description": "a duration or [min, max]",
          "oneOf": [
            {
              "$ref": "#/definitions/duration"
            },
            {
              "type": "array",
              "items": {
                "$ref": "#/definitions/duration"
              },
              "minItems": 2,
              "maxItems": 2
            }
          ]
        },
        "to": {
          "enum": [
            "leader",
            "any"
          ],
          "description": "raft: send each request to the current leader (default) or any node"
        },
        "keys": {
          "type": "integer",
          "minimum": 1,
          "description": "raft: requests write keys k0..k(keys-1)"
        },
        "$COUNTS": true
      },
      "additionalProperties": false,
      "patternProperties": {
        "^x-": {}
      },
      "description": "requests injected into the nodes"
    },
    "faults": {
      "type": "array",
      "description": "scripted faults",
      "items": {
        "oneOf": [
          {
            "type": "object",
            "properties": {
              "at": {
                "$ref": "#/definitions/duration",
                "description": "when the fault fires (virtual time from the start)"
              },
              "crash": {
                "type": "string",
                "pattern": "^[A-Za-z][A-Za-z0-9_.-]*$",
                "description": "a node name (or a role the protocol exposes, e.g. leader)"
              },
              "restart_after": {
                "$ref": "#/definitions/duration",
                "description": "restart the node after this long"
              },
              "lose_unsynced": {
                "type": "boolean",
                "description": "lose storage writes not yet synced (default false)"
              }
            },
            "additionalProperties": false,
            "patternProperties": {
              "^x-": {}
            },
            "required": [
              "at",
              "crash"
            ]
          },
          {
            "type": "object",
            "properties": {
              "at": {
                "$ref": "#/definitions/duration",
                "description": "when the fault fires (virtual time from the start)"
              },
              "restart": {
                "type": "string",
                "pattern": "^[A-Za-z][A-Za-z0-9_.-]*$",
                "description": "a node name (or a role the protocol exposes, e.g. leader)"
              }
            },
            "additionalProperties": false,
            "patternProperties": {
              "^x-": {}
            },
            "required": [
              "at",
              "restart"
            ]
          },
          {
            "type": "object",
            "properties": {
              "at": {
                "$ref": "#/definitions/duration",
                "description": "when the fault fires (virtual time from the start)"
              },
              "pause": {
                "type": "string",
                "pattern": "^[A-Za-z][A-Za-z0-9_.-]*$",
                "description": "a node name (or a role the protocol exposes, e.g. leader)"
              },
              "for": {
                "$ref": "#/definitions/duration",
                "description": "how long the process is stopped"
              }
            },
            "additionalProperties": false,
            "patternProperties": {
              "^x-": {}
            },
            "required": [
              "at",
              "pause",
              "for"
            ]
          },
          {
            "type": "object",
            "properties": {
              "at": {
                "$ref": "#/definitions/duration",
                "description": "when the fault fires (virtual time from the start)"
              },
              "partition": {
                "type": "array",
                "items": {
                  "type": "array",
                  "items": {
                    "type": "string",
                    "pattern": "^[A-Za-z][A-Za-z0-9_.-]*$",
                    "description": "a node name (or a role the protocol exposes, e.g. leader)"
                  },
                  "minItems": 1
                },
                "minItems": 1,
                "description": "groups that can only talk among themselves; unnamed nodes form one more group"
              },
              "for": {
                "$ref": "#/definitions/duration",
                "description": "heal after this long"
              }
            },
            "additionalProperties": false,
            "patternProperties": {
              "^x-": {}
            },
            "required": [
              "at",
              "partition"
            ]
          },
          {
            "type": "object",
            "properties": {
              "at": {
                "$ref": "#/definitions/duration",
                "description": "when the fault fires (virtual time from the start)"
              },
              "isolate": {
                "type": "string",
                "pattern": "^[A-Za-z][A-Za-z0-9_.-]*$",
                "description": "a node name (or a role the protocol exposes, e.g. leader)"
              },
              "for": {
                "$ref": "#/definitions/duration",
                "description": "heal after this long"
              }
            },
            "additionalProperties": false,
            "patternProperties": {
              "^x-": {}
            },
            "required": [
              "at",
              "isolate"
            ]
          },
          {
            "type": "object",
            "properties": {
              "at": {
                "$ref": "#/definitions/duration",
                "description": "when the fault fires (virtual time from the start)"
              },
              "cut": {
                "type": "object",
                "properties": {
                  "from": {
                    "type": "string",
                    "pattern": "^[A-Za-z][A-Za-z0-9_.-]*$",
                    "description": "a node name (or a role the protocol exposes, e.g. leader)"
                  },
                  "to": {
                    "type": "string",
                    "pattern": "^[A-Za-z][A-Za-z0-9_.-]*$",
                    "description": "a node name (or a role the protocol exposes, e.g. leader)"
                  }
                },
                "additionalProperties": false,
                "patternProperties": {
                  "^x-": {}
                },
                "required": [
                  "from",
                  "to"
                ]
              },
              "for": {
                "$ref": "#/definitions/duration",
                "description": "heal after this long"
              }
            },
            "additionalProperties": false,
            "patternProperties": {
              "^x-": {}
            },
            "required": [
              "at",
              "cut"
            ]
          },
          {
            "type": "object",
            "properties": {
              "at": {
                "$ref": "#/definitions/duration",
                "description": "when the fault fires (virtual time from the start)"
              },
              "heal": {
                "const": "all"
              }
            },
            "additionalProperties": false,
            "patternProperties": {
              "^x-": {}
            },
            "required": [
              "at",
              "heal"
            ]
          },
          {
            "type": "object",
            "properties": {
              "at": {
                "$ref": "#/definitions/duration",
                "description": "when the fault fires (virtual time from the start)"
              },
              "clog": {
                "oneOf": [
                  {
                    "type": "string",
                    "pattern": "^[A-Za-z][A-Za-z0-9_.-]*$",
                    "description": "a node name (or a role the protocol exposes, e.g. leader)"
                  },
                  {
                    "type": "object",
                    "properties": {
                      "from": {
                        "type": "string",
                        "pattern": "^[A-Za-z][A-Za-z0-9_.-]*$",
                        "description": "a node name (or a role the protocol exposes, e.g. leader)"
                      },
                      "to": {
                        "type": "string",
                        "pattern": "^[A-Za-z][A-Za-z0-9_.-]*$",
                        "description": "a node name (or a role the protocol exposes, e.g. leader)"
                      }
                    },
                    "additionalProperties": false,
                    "patternProperties": {
                      "^x-": {}
                    },
                    "required": [
                      "from",
                      "to"
                    ]
                  }
                ]
              },
              "for": {
                "$ref": "#/definitions/duration",
                "description": "how long messages are held back"
              }
            },
            "additionalProperties": false,
            "patternProperties": {
              "^x-": {}
            },
            "required": [
              "at",
              "clog",
              "for"
            ]
          },
          {
            "type": "object",
            "properties": {
              "at": {
                "$ref": "#/definitions/duration",
                "description": "when the fault fires (virtual time from the start)"
              },
              "clock": {
                "type": "string",
                "pattern": "^[A-Za-z][A-Za-z0-9_.-]*$",
                "description": "a node name (or a role the protocol exposes, e.g. leader)"
              },
              "jump": {
                "$ref": "#/definitions/signed_duration",
                "description": "step the node's clock by this much (may be negative)"
              }
            },
            "additionalProperties": false,
            "patternProperties": {
              "^x-": {}
            },
            "required": [
              "at",
              "clock",
              "jump"
            ]
          },
          {
            "type": "object",
            "properties": {
              "at": {
                "$ref": "#/definitions/duration",
                "description": "when the fault fires (virtual time from the start)"
              },
              "clock": {
                "type": "string",
                "pattern": "^[A-Za-z][A-Za-z0-9_.-]*$",
                "description": "a node name (or a role the protocol exposes, e.g. leader)"
              },
              "drift_ppm": {
                "type": "integer",
                "minimum": -500000,
                "maximum": 500000,
                "description": "clock rate error in parts per million"
              }
            },
            "additionalProperties": false,
            "patternProperties": {
              "^x-": {}
            },
            "required": [
              "at",
              "clock",
              "drift_ppm"
            ]
          }
        ]
      }
    },
    "nemesis": {
      "type": "object",
      "properties": {
        "faults": {
          "type": "array",
          "items": {
            "enum": [
              "crash",
              "pause",
              "partition",
              "isolate",
              "clog"
            ]
          },
          "minItems": 1
        },
        "interval": {
          "description": "a duration or [min, max]",
          "oneOf": [
            {
              "$ref": "#/definitions/duration"
            },
            {
              "type": "array",
              "items": {
                "$ref": "#/definitions/duration"
              },
              "minItems": 2,
              "maxItems": 2
            }
          ]
        },
        "duration": {
          "description": "a duration or [min, max]",
          "oneOf": [
            {
              "$ref": "#/definitions/duration"
            },
            {
              "type": "array",
              "items": {
                "$ref": "#/definitions/duration"
              },
              "minItems": 2,
              "maxItems": 2
            }
          ]
        },
        "max_down": {
          "type": "integer",
          "minimum": 0
        },
        "from": {
          "$ref": "#/definitions/duration",
          "description": "first fault not before"
        },
        "until": {
          "$ref": "#/definitions/duration",
          "description": "all nemesis faults are over by then"
        },
        "lose_unsynced": {
          "type": "boolean"
        }
      },
      "additionalProperties": false,
      "patternProperties": {
        "^x-": {}
      },
      "required": [
        "faults",
        "until"
      ],
      "description": "random faults within a budget"
    },
    "checks": {
      "type": "array",
      "description": "checkers to run (default: all of the protocol's)",
      "items": {
        "oneOf": [
          {
            "enum": "$CHECKS"
          },
          {
            "type": "object",
            "properties": {
              "name": {
                "enum": "$CHECKS"
              },
              "within": {
                "$ref": "#/definitions/duration",
                "description": "liveness bound"
              }
            },
            "additionalProperties": false,
            "patternProperties": {
              "^x-": {}
            },
            "required": [
              "name"
            ]
          }
        ]
      }
    },
    "expect": {
      "type": "object",
      "properties": {
        "violated": {
          "type": "array",
          "items": {
            "enum": "$CHECKS"
          }
        },
        "seeds": {
          "enum": [
            "all",
            "some"
          ],
          "description": "all (default): every seed shows exactly the expected violations; some: in a sweep, some seed violates each expected check and no seed violates another"
        }
      },
      "additionalProperties": false,
      "patternProperties": {
        "^x-": {}
      },
      "description": "expected outcome: which checks must be violated (planted bugs), on every seed or on some seed of a sweep"
    },
    "clients": {
      "type": "object",
      "additionalProperties": false,
      "patternProperties": {
        "^x-": {}
      },
      "description": "key-value clients c1..cK (protocols raft and dynamo)",
      "properties": {
        "count": {
          "type": "integer",
          "minimum": 1,
          "description": "how many clients"
        },
        "at": {
          "description": "the servers (or zones of the topology) clients attach to, round robin (default: all servers)",
          "oneOf": [
            {
              "type": "string"
            },
            {
              "type": "array",
              "items": {
                "type": "string"
              }
            }
          ]
        },
        "keys": {
          "type": "integer",
          "minimum": 1,
          "description": "keys k0..k(keys-1) (default 3)"
        },
        "zipf": {
          "type": "number",
          "minimum": 0,
          "maximum": 10,
          "description": "Zipf exponent of key choice; 0 uniform (default)"
        },
        "mix": {
          "type": "object",
          "additionalProperties": false,
          "patternProperties": {
            "^x-": {}
          },
          "description": "operation mix in percent, adding up to 100",
          "properties": {
            "read": {
              "type": "integer",
              "minimum": 0,
              "maximum": 100
            },
            "write": {
              "type": "integer",
              "minimum": 0,
              "maximum": 100
            },
            "cas": {
              "type": "integer",
              "minimum": 0,
              "maximum": 100
            }
          }
        },
        "think": {
          "oneOf": [
            {
              "$ref": "#/definitions/duration"
            },
            {
              "type": "array",
              "items": {
                "$ref": "#/definitions/duration"
              },
              "minItems": 2,
              "maxItems": 2
            }
          ],
          "description": "pause between a client's operations (default [5ms, 20ms])"
        },
        "timeout": {
          "$ref": "#/definitions/duration",
          "description": "an operation unanswered by then is recorded as info (default 500ms)"
        },
        "start": {
          "$ref": "#/definitions/duration",
          "description": "first operation (default 0)"
        },
        "stop": {
          "$ref": "#/definitions/duration",
          "description": "no operations after this"
        },
        "stop_writes": {
          "$ref": "#/definitions/duration",
          "description": "only reads after this"
        },
        "rate": {
          "type": "integer",
          "minimum": 1,
          "description": "open loop: operations per second per client"
        },
        "retries": {
          "type": "integer",
          "minimum": 0,
          "description": "retries of a failed operation (default 0)"
        }
      },
      "required": [
        "count"
      ]
    },
    "$SECTIONS": true
  }
})json";

void fill(Json& j, const Json& protocols, const Json& checks) {
  if (j.is_object()) {
    for (auto& [k, v] : j.items()) {
      if (k == "enum" && v == "$PROTOCOLS") v = protocols;
      else if (k == "enum" && v == "$CHECKS") v = checks;
      else fill(v, protocols, checks);
    }
  } else if (j.is_array()) {
    for (auto& v : j) fill(v, protocols, checks);
  }
}

// Replaces the key `marker` of an object with `entries`, in place.
void splice(Json& object, const std::string& marker, const Json& entries) {
  Json out = Json::object();
  for (auto& [k, v] : object.items()) {
    if (k == marker) {
      for (auto& [ek, ev] : entries.items()) out[ek] = ev;
    } else {
      out[k] = v;
    }
  }
  object = std::move(out);
}

// Fault targets relative to roles, the network's mid-run changes,
// heavy-tailed latency, client latency and storage write time: added to the
// base document here so each feature's schema sits in one place.
constexpr const char* kTarget = R"json({
  "description": "a node name or a role (the holder of the highest epoch), or {random: ROLE}, {all: ROLE}, {all_but: NODE_OR_ROLE}",
  "oneOf": [
    {"type": "string", "pattern": "^[A-Za-z][A-Za-z0-9_.-]*$"},
    {"type": "object", "properties": {"role": {"type": "string"}}, "required": ["role"], "additionalProperties": false},
    {"type": "object", "properties": {"random": {"type": "string", "description": "one holder of the role, drawn from the seeded fault stream"}},
     "required": ["random"], "additionalProperties": false},
    {"type": "object", "properties": {"all": {"type": "string", "description": "every holder of the role"}},
     "required": ["all"], "additionalProperties": false},
    {"type": "object", "properties": {"all_but": {"type": "string", "description": "every server but this node (or the role's holder)"}},
     "required": ["all_but"], "additionalProperties": false}
  ]
})json";

constexpr const char* kExtraLatency = R"json([
  {
    "type": "object",
    "properties": {
      "dist": {"const": "pareto"},
      "scale": {"$ref": "#/definitions/duration", "description": "the minimum latency (x_m)"},
      "shape": {"type": "number", "minimum": 0.1, "maximum": 100, "description": "tail index alpha; smaller is heavier (mean infinite for <= 1)"},
      "max": {"$ref": "#/definitions/duration", "description": "a draw above this is this (default: no cap but one day)"}
    },
    "additionalProperties": false,
    "patternProperties": {"^x-": {}},
    "required": ["dist", "scale", "shape"]
  },
  {
    "type": "object",
    "properties": {
      "dist": {"const": "mixture"},
      "of": {
        "type": "array",
        "minItems": 1,
        "maxItems": 16,
        "items": {
          "type": "object",
          "properties": {
            "weight": {"type": "integer", "minimum": 1, "maximum": 1000000, "description": "relative weight"},
            "latency": {"$ref": "#/definitions/latency", "description": "this component (not itself a mixture)"}
          },
          "additionalProperties": false,
          "required": ["weight", "latency"]
        }
      }
    },
    "additionalProperties": false,
    "patternProperties": {"^x-": {}},
    "required": ["dist", "of"]
  }
])json";

constexpr const char* kReorder = R"json({
  "type": "object",
  "description": "with this probability a message is held back by an extra delay, so later ones overtake it",
  "properties": {
    "probability": {"$ref": "#/definitions/probability"},
    "delay": {"$ref": "#/definitions/latency", "description": "the extra delay"}
  },
  "additionalProperties": false,
  "required": ["probability", "delay"]
})json";

constexpr const char* kExtraFaults = R"json([
  {
    "type": "object",
    "properties": {
      "at": {"$ref": "#/definitions/duration", "description": "when the fault fires (virtual time from the start)"},
      "disconnect": {"$ref": "#/definitions/target", "description": "cut these nodes off from every other node; disconnections add up"},
      "for": {"$ref": "#/definitions/duration", "description": "reconnect them after this long (undoes only this fault)"}
    },
    "additionalProperties": false,
    "patternProperties": {"^x-": {}},
    "required": ["at", "disconnect"]
  },
  {
    "type": "object",
    "properties": {
      "at": {"$ref": "#/definitions/duration", "description": "when the fault fires (virtual time from the start)"},
      "reconnect": {"$ref": "#/definitions/target", "description": "undo every disconnection of these nodes"}
    },
    "additionalProperties": false,
    "patternProperties": {"^x-": {}},
    "required": ["at", "reconnect"]
  },
  {
    "type": "object",
    "properties": {
      "at": {"$ref": "#/definitions/duration", "description": "when the fault fires (virtual time from the start)"},
      "network": {
        "type": "object",
        "description": "new default link parameters (what is not given is kept)",
        "properties": {
          "latency": {"$ref": "#/definitions/latency"},
          "drop": {"$ref": "#/definitions/probability"},
          "duplicate": {"$ref": "#/definitions/probability"},
          "reorder": {"$ref": "#/definitions/reorder"}
        },
        "additionalProperties": false,
        "minProperties": 1
      },
      "for": {"$ref": "#/definitions/duration", "description": "then restore the parameters in force before"}
    },
    "additionalProperties": false,
    "patternProperties": {"^x-": {}},
    "required": ["at", "network"]
  }
])json";

constexpr const char* kStorage = R"json({
  "type": "object",
  "description": "time a durable write costs: each sync that writes something keeps the node busy this long",
  "properties": {
    "write_latency": {"$ref": "#/definitions/duration", "description": "every server (default 0: free)"},
    "nodes": {
      "type": "object",
      "description": "per-server overrides, e.g. {n3: 20ms}",
      "additionalProperties": {"$ref": "#/definitions/duration"}
    }
  },
  "additionalProperties": false,
  "patternProperties": {"^x-": {}}
})json";

void add_fault_features(Json& j) {
  Json& defs = j["definitions"];
  defs["target"] = Json::parse(kTarget);
  for (auto& alt : Json::parse(kExtraLatency)) defs["latency"]["oneOf"].push_back(alt);
  defs["reorder"] = Json::parse(kReorder);
  j["properties"]["network"]["properties"]["reorder"] = Json{{"$ref", "#/definitions/reorder"}};
  Json& items = j["properties"]["faults"]["items"]["oneOf"];
  for (Json& alt : items) {
    Json& props = alt["properties"];
    for (const char* k : {"crash", "restart", "pause", "isolate"}) {
      if (!props.contains(k)) continue;
      props[k] = Json{{"$ref", "#/definitions/target"}};
    }
    if (props.contains("clog")) props["clog"]["oneOf"][0] = Json{{"$ref", "#/definitions/target"}};
    if (props.contains("clock")) props["clock"] = Json{{"$ref", "#/definitions/target"}};
    if (props.contains("partition")) {
      Json& p = props["partition"];
      p["items"] = Json{{"oneOf", Json::array({Json{{"const", "rest"}},
                                                  Json{{"type", "array"}, {"minItems", 1},
                                                       {"items", Json{{"$ref", "#/definitions/target"}}}}})}};
      p["description"] = "groups of nodes or role expressions (e.g. [[leader, {random: follower}], rest]) that can only talk among "
                         "themselves; unnamed nodes form one more group";
    }
  }
  for (auto& alt : Json::parse(kExtraFaults)) items.push_back(alt);
  j["properties"]["nemesis"]["properties"]["faults"]["items"]["enum"].push_back("disconnect");
  j["properties"]["clients"]["properties"]["latency"] =
      Json{{"$ref", "#/definitions/latency"}, {"description", "latency of each client's link to its server, both ways (default: the network's)"}};
  j["properties"]["workload"]["properties"]["client_latency"] =
      Json{{"$ref", "#/definitions/latency"}, {"description", "delay of each input from the harness to its node (default none)"}};
  // Before the protocols' sections, after the fixed keys.
  Json props = Json::object();
  for (auto& [k, v] : j["properties"].items()) {
    if (k == "faults") props["storage"] = Json::parse(kStorage);
    props[k] = v;
  }
  j["properties"] = std::move(props);
}


// `schedule:` and `explore:` (docs/explore.md).
constexpr const char* kSchedule = R"json({
  "type": "array",
  "minItems": 1,
  "description": "a scripted run: exactly these steps, step k at k ms, and nothing else (no network timing, faults or nemesis); dsim explore writes its counterexamples this way",
  "items": {
    "oneOf": [
      {"type": "object", "properties": {"deliver": {"$ref": "#/definitions/scheduled_message", "description": "deliver this message"}}, "additionalProperties": false, "patternProperties": {"^x-": {}}, "required": ["deliver"]},
      {"type": "object", "properties": {"drop": {"$ref": "#/definitions/scheduled_message", "description": "lose this message"}}, "additionalProperties": false, "patternProperties": {"^x-": {}}, "required": ["drop"]},
      {"type": "object", "properties": {"duplicate": {"$ref": "#/definitions/scheduled_message", "description": "deliver a copy of this message, leaving it in flight"}}, "additionalProperties": false, "patternProperties": {"^x-": {}}, "required": ["duplicate"]},
      {"type": "object", "properties": {
         "timer": {"type": "string", "description": "the node whose timer fires"},
         "tag": {"type": "integer", "minimum": 0, "description": "the timer's tag: the node's earliest-due pending timer with it fires"}},
       "additionalProperties": false, "patternProperties": {"^x-": {}}, "required": ["timer", "tag"]},
      {"type": "object", "properties": {
         "crash": {"type": "string", "description": "the node that crashes"},
         "lose_unsynced": {"type": "boolean", "description": "it loses its unsynced writes (default false)"}},
       "additionalProperties": false, "patternProperties": {"^x-": {}}, "required": ["crash"]},
      {"type": "object", "properties": {"restart": {"type": "string", "description": "the crashed node that restarts"}}, "additionalProperties": false, "patternProperties": {"^x-": {}}, "required": ["restart"]},
      {"type": "object", "properties": {"input": {"type": "string", "description": "the node that gets the next workload input"}}, "additionalProperties": false, "patternProperties": {"^x-": {}}, "required": ["input"]}
    ]
  }
})json";

constexpr const char* kScheduledMessage = R"json({
  "type": "object",
  "description": "the nth message (from 1) that node `from` sent to node `to`",
  "properties": {
    "from": {"type": "string"},
    "to": {"type": "string"},
    "nth": {"type": "integer", "minimum": 1}
  },
  "additionalProperties": false,
  "required": ["from", "to", "nth"]
})json";

constexpr const char* kEventPattern = R"json({
  "type": "object",
  "properties": {
    "kind": {"type": "string", "description": "a trace event kind, e.g. role"},
    "where": {"type": "object", "description": "fields the event must have, e.g. {role: leader}", "additionalProperties": {"type": ["string", "integer", "boolean"]}},
    "$COUNT": {"type": "integer", "minimum": 0}
  },
  "additionalProperties": false,
  "patternProperties": {"^x-": {}},
  "required": ["kind"]
})json";

constexpr const char* kExplore = R"json({
  "type": "object",
  "description": "what dsim explore may do and how far it searches; the budgets bound the faults on any one path",
  "properties": {
    "strategy": {"enum": ["bfs", "dfs", "random"], "description": "bfs (default): breadth-first, shortest counterexample; dfs: depth-first; random: random walks from the initial state (finds deep bugs; never proves their absence)"},
    "max_depth": {"type": "integer", "minimum": 1, "maximum": 1000000, "description": "steps on one path (default 30)"},
    "max_states": {"type": "integer", "minimum": 1, "description": "distinct states (default 5000000)"},
    "max_time": {"$ref": "#/definitions/duration", "description": "wall time (default: no limit)"},
    "crashes": {"type": "integer", "minimum": 0, "maximum": 1000, "description": "crash budget (default 0)"},
    "restarts": {"type": "integer", "minimum": 0, "maximum": 1000, "description": "restart budget (default 0)"},
    "lose_unsynced": {"type": "boolean", "description": "crashes lose unsynced writes (default false)"},
    "drops": {"type": "integer", "minimum": 0, "maximum": 1000, "description": "message-loss budget (default 0)"},
    "duplicates": {"type": "integer", "minimum": 0, "maximum": 1000, "description": "message-duplication budget (default 0)"},
    "fifo": {"type": "boolean", "description": "each link delivers in send order, not in any order (default false)"},
    "inputs": {"type": "integer", "minimum": 0, "description": "workload inputs available (default: the workload's count)"},
    "goals": {"type": "array", "items": {"$ref": "#/definitions/goal"}, "description": "a state matching every goal ends its path as goal reached"},
    "prune": {"type": "array", "items": {"$ref": "#/definitions/prune"}, "description": "a state matching any prune is not expanded"}
  },
  "additionalProperties": false,
  "patternProperties": {"^x-": {}}
})json";

void add_scripted(Json& j) {
  Json& defs = j["definitions"];
  defs["scheduled_message"] = Json::parse(kScheduledMessage);
  for (const char* which : {"goal", "prune"}) {
    const std::string count = std::string(which) == "goal" ? "at_least" : "more_than";
    Json p = Json::parse(kEventPattern);
    Json props = Json::object();
    for (auto& [k, v] : p["properties"].items()) props[k == "$COUNT" ? count : k] = v;
    props[count]["description"] = count == "at_least" ? "at least this many matching events (default 1)"
                                                      : "more than this many matching events";
    if (count == "at_least") props[count]["minimum"] = 1;
    p["properties"] = std::move(props);
    if (count == "more_than") p["required"].push_back(count);
    defs[which] = std::move(p);
  }
  // After the faults and the nemesis, before the checks.
  Json props = Json::object();
  for (auto& [k, v] : j["properties"].items()) {
    if (k == "checks") {
      props["schedule"] = Json::parse(kSchedule);
      props["explore"] = Json::parse(kExplore);
    }
    props[k] = v;
  }
  j["properties"] = std::move(props);
}

}  // namespace

std::string scenario_json_schema(const Registry& reg) {
  Json j = Json::parse(kBase);
  add_fault_features(j);
  add_scripted(j);
  Json protocols = Json::array(), checks = Json::array(), sections = Json::object(), counts = Json::object();
  for (const auto& l : reg.all_checkers()) checks.push_back(std::string(l.info.name));
  for (const auto& p : reg.protocols()) {
    const std::string name(p->name());
    protocols.push_back(name);
    const std::string_view text = p->section_schema();
    if (text.empty()) {
      sections[name] = Json{{"type", "object"}, {"description", std::string(p->summary())}};
    } else {
      Json section = Json::parse(text, nullptr, false);
      DSIM_ASSERT_MSG(!section.is_discarded(), "a protocol's section_schema() is not JSON");
      sections[name] = std::move(section);
    }
    // The planted-bug names come from the protocol's one list, not a copy.
    if (const auto bugs = p->bugs(); !bugs.empty() && sections[name].contains("properties")) {
      Json names = Json::array();
      for (auto b : bugs) names.push_back(std::string(b));
      Json& bug = sections[name]["properties"]["bug"];
      if (!bug.contains("description")) bug["description"] = "planted bug";
      bug["enum"] = names;
    }
    const WorkloadInputs in = p->workload();
    if (in.kind == WorkloadInputs::Kind::kNone) continue;
    const std::string key(in.count_key);
    if (counts.contains(key)) {
      counts[key]["description"] = counts[key]["description"].get<std::string>() + ", " + name;
    } else {
      counts[key] = Json{{"type", "integer"}, {"minimum", 0}, {"maximum", in.max_count},
                         {"description", "inputs the harness sends (protocols: " + name}};
    }
  }
  for (auto& [k, v] : counts.items()) v["description"] = v["description"].get<std::string>() + ")";
  fill(j, protocols, checks);
  splice(j["properties"]["workload"]["properties"], "$COUNTS", counts);
  splice(j["properties"], "$SECTIONS", sections);
  return j.dump(2) + "\n";
}

}  // namespace dsim::scenario
