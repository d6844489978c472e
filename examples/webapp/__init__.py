"""The example web app: one HTML page served by Flask or FastAPI on the embedded sqlite store.

python -m examples.webapp                      # FastAPI on http://localhost:8000
python -m examples.webapp --framework flask    # the same page served by Flask
"""
