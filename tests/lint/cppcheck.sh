#!/bin/sh
# Lint: cppcheck over src/ with the project tests/lint/ludp.cppcheck
# (libraries and reasoned suppressions are explained there). Findings of
# the classes warning, style, performance and portability fail the test;
# a false positive is silenced where it occurs with a comment
# `// cppcheck-suppress <id>` and a reason.
set -eu
cd "$(dirname "$0")/../.."
command -v cppcheck >/dev/null || { echo "cppcheck: not installed (apt-get install cppcheck)"; exit 1; }
cppcheck --project=tests/lint/ludp.cppcheck --std=c11 --language=c \
  --enable=warning,style,performance,portability --inline-suppr \
  --error-exitcode=1 --quiet \
  --template='{file}:{line}:{column}: {severity}: {message} [{id}]'
echo "cppcheck: src/ clean"
