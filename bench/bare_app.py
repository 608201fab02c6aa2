"""The baseline for bench/ingest.py: a bare Flask app whose POST endpoints answer 201 without work.

Served by the same gunicorn.conf.py (workers, threads, worker class, access log) as the
real app, so the ratio app/bare is what the real app's own work costs.
"""

from flask import Flask, jsonify

app = Flask(__name__)


@app.post("/api/v1/responses")
def post_response():
    return jsonify(status="stored"), 201


@app.post("/api/v1/responses/batch")
def post_batch():
    return jsonify(status="stored"), 201
