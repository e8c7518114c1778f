"""finish_fitted.py SOURCE.yaml FITTED.yaml — finish a fitted scenario that
`casesim calibrate --write-scenario` wrote from a calibration of SOURCE.

1. Its `name` and `description` become SOURCE's (the calibrations were run
   before the descriptions stopped saying "draft"; nothing else differs).
2. The inputs that no target can inform on its own get back their PRIORS
   and SOURCE's values at their paths (and SOURCE's correlations between
   them): truth (`well_founded`), the unfounded odds ratios, and every
   intervention input (effects and costs: a calibration does not simulate
   interventions, so the targets never see them). At the effective sample
   sizes these calibrations reached, the moment fit of such an input is
   Monte Carlo noise that would read as knowledge (a `well_founded` narrowed
   to a third of its range by nothing).

Usage: /usr/bin/python3 scenarios/real/tools/finish_fitted.py \
           scenarios/real/NAME.yaml scenarios/real/fitted/NAME.yaml
"""
import re, sys, yaml

src_path, fitted_path = sys.argv[1], sys.argv[2]
src = yaml.safe_load(open(src_path))
text = open(fitted_path).read()
header = []
for line in text.splitlines():
    if line.startswith('#') or not line.strip():
        header.append(line)
    else:
        break
fit = yaml.safe_load(text)
fit['name'] = src['name']
fit['description'] = ' '.join(src['description'].split())
# the emitter may write an index as `1e+01`, which PyYAML reads as text
for c in fit.get('correlations') or []:
    c['between'] = [int(float(x)) for x in c['between']]

def restored(e):
    p = e['path'] if 'path' in e else ''
    return p.startswith('interventions.') or p.endswith('.well_founded') or p.endswith('.unfounded_odds_ratio')

def walk(doc, path):
    segs = re.findall(r'[^.\[\]]+|\[\d+\]', path)
    cur = doc
    for s in segs[:-1]:
        if s.startswith('['):
            cur = cur[int(s[1:-1])]
        elif isinstance(cur, list):
            cur = next(x for x in cur if isinstance(x, dict) and x.get('name') == s)
        else:
            cur = cur[s]
    last = segs[-1]
    return cur, (int(last[1:-1]) if last.startswith('[') else last)

def get(doc, path):
    c, k = walk(doc, path)
    return c[k]

def put(doc, path, v):
    c, k = walk(doc, path)
    c[k] = v

src_by_name = {e['name']: (i, e) for i, e in enumerate(src.get('uncertain') or [])}
names_done = []
for i, e in enumerate(fit['uncertain']):
    if not restored(e):
        continue
    j, se = src_by_name[e['name']]
    assert se.get('path') == e['path'], e['name']
    fit['uncertain'][i] = se
    put(fit, e['path'], get(src, e['path']))
    names_done.append(e['name'])
idx = {e['name']: i for i, e in enumerate(fit['uncertain'])}
done = set(names_done)
cors = [c for c in fit.get('correlations') or []
        if fit['uncertain'][c['between'][0]]['name'] not in done
        and fit['uncertain'][c['between'][1]]['name'] not in done]
src_names = [e['name'] for e in src.get('uncertain') or []]
for c in src.get('correlations') or []:
    a, b = (src_names[k] for k in c['between'])
    if a in done and b in done:
        cors.append({'between': [idx[a], idx[b]], 'rho': c['rho']})
if cors:
    fit['correlations'] = cors
else:
    fit.pop('correlations', None)
note = ['#', '# Then scenarios/real/tools/finish_fitted.py gave the source\'s name and description,',
        '# and gave back their PRIORS and the source\'s values to the inputs no target can',
        '# inform on its own (scenarios/real/README.md, "The fitted scenarios"):',
        '# ' + ', '.join(names_done) + '.']
body = yaml.safe_dump(fit, sort_keys=False, allow_unicode=True, width=100)
open(fitted_path, 'w').write('\n'.join(header).rstrip('\n') + '\n' + '\n'.join(note) + '\n' + body)
print(fitted_path, 'restored', len(names_done))
