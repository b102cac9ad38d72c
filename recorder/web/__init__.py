"""The NVR's web stack (issue 14): the JSON API and the commune console on Starlette/uvicorn."""
