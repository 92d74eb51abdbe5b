#!/usr/bin/env bash
pip install "InvokeAI[xformers]" --use-pep517 --extra-index-url https://download.pytorch.org/whl/cu121
export INVOKEAI_ROOT=/content/invokeai
invokeai-web --root /content/invokeai
