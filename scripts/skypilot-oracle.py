#!/usr/bin/env python3
"""SkyPilot's own reading of task files, in the normalized form of ../shared/fixtures/README.md:
one JSON object per line, {"file": NAME, "task": {...}} or {"file": NAME, "error": TYPE, "message": ...}.
Run with the python of a virtual environment that has skypilot==0.14.1 (scripts/test.sh makes one)."""
import json
import os
import sys

import sky
import yaml


def normalized(task):
    resources = []
    for r in task.resources:
        image = r.image_id
        if isinstance(image, dict):
            # A plain image is kept as {None: image}; a region map as itself.
            image = image.get(None) if list(image) == [None] else sorted(image.values())
        resources.append({
            "accelerators": r.accelerators,
            "image_id": image,
            "ports": list(r.ports or []),
            "cpus": r.cpus,
            "memory": r.memory,
            "use_spot": bool(r.use_spot),
        })
    resources.sort(key=lambda entry: json.dumps(entry, sort_keys=True))
    return {
        "name": task.name,
        "num_nodes": task.num_nodes,
        "workdir": task.workdir,
        "setup": task.setup,
        "run": task.run if isinstance(task.run, str) or task.run is None else "<callable>",
        "envs": {key: str(value) for key, value in task.envs.items()},
        "secrets": sorted(task.secrets.keys()),
        "file_mounts": {target: source for target, source in (task.file_mounts or {}).items() if isinstance(source, str)},
        "resources": resources,
    }


for path in sys.argv[1:]:
    name = os.path.basename(path)
    try:
        with open(path, encoding="utf-8") as file:
            task = sky.Task.from_yaml_config(yaml.safe_load(file))
        print(json.dumps({"file": name, "task": normalized(task)}, sort_keys=True))
    except Exception as error:  # SkyPilot's refusal is the answer here
        print(json.dumps({"file": name, "error": type(error).__name__, "message": str(error).splitlines()[0] if str(error) else ""}))
