#!/bin/sh
# The function's Handler. With AWS_LAMBDA_EXEC_WRAPPER=/opt/bootstrap, the lambda-adapter layer's wrapper runs
# this instead of the python3.12 runtime: it starts the web app, which listens on $PORT (set in the template).
exec python3 "${LAMBDA_TASK_ROOT:-.}/app.py"
