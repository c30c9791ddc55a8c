#!/usr/bin/env python3
"""The size limits of the architecture pass, checked: no file in src/ over 450 lines and no method over 80.

A method is counted from its signature (or the doc comment above it) to its closing brace at the same indent; the
count is rough on purpose (a line-based reading, no parser), so it errs long. Prints the five longest of each and exits
1 when a limit is passed. Run by eng/test-steps/code-size.sh; by hand: python3 eng/code-size.py.
"""
import glob
import re
import sys

MAX_FILE, MAX_METHOD = 450, 80
signature = re.compile(r'^(    |        )(\S.*\(.*)$')

files, methods = [], []
for path in sorted(glob.glob('src/**/*.cs', recursive=True)):
    if '/obj/' in path or '/bin/' in path:
        continue
    lines = open(path, encoding='utf-8').read().split('\n')
    files.append((len(lines), path))
    i = 0
    while i < len(lines):
        match = signature.match(lines[i])
        if match and not lines[i].rstrip().endswith(';'):
            indent, j = match.group(1), i
            while j < len(lines) and lines[j].strip() != '{' and not lines[j].rstrip().endswith(';') and j - i < 6:
                j += 1
            if j < len(lines) and lines[j] == indent + '{':
                k = j + 1
                while k < len(lines) and lines[k] != indent + '}':
                    k += 1
                methods.append((k - i + 1, f'{path}:{i + 1}'))
                i = k
        i += 1

files.sort(reverse=True)
methods.sort(reverse=True)
print('code-size: longest files: ' + ', '.join(f'{p} {n}' for n, p in files[:5]))
print('code-size: longest methods: ' + ', '.join(f'{p} {n}' for n, p in methods[:5]))
over = [f'{p} has {n} lines (limit {MAX_FILE})' for n, p in files if n > MAX_FILE]
over += [f'{p}: a method of {n} lines (limit {MAX_METHOD})' for n, p in methods if n > MAX_METHOD]
for line in over:
    print('code-size: ' + line + '; split it by concern (docs/architecture.md)', file=sys.stderr)
sys.exit(1 if over else 0)
