import json, uuid
from datetime import datetime, timezone, timedelta
import pytest
from tests.builders import response_body, auth

def test_probe(client, build, session):
    dev, tok = build.device()
    def post(data, ct="application/json", path="/api/v1/responses"):
        r = client.post(path, data=data, headers={**auth(tok), "Content-Type": ct})
        print(path, data[:80] if isinstance(data,str) else len(data), "->", r.status_code, r.mimetype, r.headers.get("Allow"), r.get_data(as_text=True)[:300])
        return r
    b = response_body(when=datetime.now(timezone(timedelta(hours=-5))))
    r1 = post(json.dumps(b)); r2 = post(json.dumps(b)); print(r1.get_json()); print(r2.get_json())
    post(json.dumps(response_body(rating=True)))
    post(json.dumps(response_body(survey_version=True)))
    post(json.dumps(response_body(id=12345)))
    post(json.dumps(response_body(id=[1])))
    post(json.dumps(response_body(survey_version=2**70)))
    post(json.dumps(response_body(client_time="9999-12-31T23:59:59-05:00")))
    post(json.dumps(response_body(client_time="0001-01-01T00:00:00+05:00")))
    post(json.dumps(response_body(client_time="2024-01-01T10:00:00.1234567+00:00")))
    post("null"); post("[" * 100000); post("x" * (1024*1024+10)); post("{}", ct="text/plain")
    r = client.get("/api/v1/responses", headers=auth(tok)); print(r.status_code, r.mimetype, dict(r.headers))
    post(json.dumps({"app_version": "1", "queue_length": 2**40}), path="/api/v1/devices/heartbeat")
    post(json.dumps({"responses": [response_body(rating="x")]}), path="/api/v1/responses/batch")
