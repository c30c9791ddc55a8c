#!/usr/bin/env python3
# Writes docs/telemetry.md from the code: every Create*<T>("name", ..., unit, description) instrument, StartActivity name and
# [LoggerMessage] attribute under src/DataPatterns.*. Run from the repository root after changing any of them: python3 eng/telemetry-doc.py
import re,glob,os
pk=['Caching','Caching.Redis','Caching.Memcached','Routing','Routing.Npgsql','Routing.MySql','Sharding','Transactions','Transactions.Npgsql','Transactions.MySql','Cqrs','Cqrs.Npgsql','Cqrs.Redis','EntityFrameworkCore','AspNetCore']
out=[]
out.append('''# Telemetry: every metric, span and log event

Each package reports through one `Meter` and one `ActivitySource`, both named after the package (`DataPatterns.Caching`,
`DataPatterns.Routing`, ...), and logs through `ILogger` with event ids in a range of its own. Tags follow the
OpenTelemetry style (`datapatterns.<package>.<what>`); durations are in seconds.

## Turning it on

`DataPatterns.OpenTelemetry` subscribes OpenTelemetry to every package in one call (its `DataPatternsInstrumentation.Names`
lists the eleven Meter and ActivitySource names); add the exporter you use beside it:

```csharp
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;

var builder = WebApplication.CreateBuilder(args);
builder.Services.AddOpenTelemetry()
    .WithMetrics(metrics => metrics.AddDataPatternsInstrumentation())
    .WithTracing(tracing => tracing.AddDataPatternsInstrumentation());
```

Without OpenTelemetry, `dotnet-counters monitor --counters DataPatterns.Caching,DataPatterns.Routing` shows the same
instruments. The health checks built on the same state are listed in [operations.md](operations.md#health-checks).
The tables below are written from the code by `eng/telemetry-doc.py`.

| package | event ids |
|---|---|
| DataPatterns.Caching | 1000–1099 |
| DataPatterns.Caching.Redis | 1100–1199 |
| DataPatterns.Caching.Memcached | 1200–1299 |
| DataPatterns.Sharding | 2000–2099 |
| DataPatterns.Transactions | 3000–3099 |
| DataPatterns.Transactions.Npgsql | 3100–3199 |
| DataPatterns.Transactions.MySql | 3200–3299 |
| DataPatterns.Routing | 4000–4099 |
| DataPatterns.Routing.Npgsql | 4100–4199 |
| DataPatterns.Routing.MySql | 4200–4299 |
| DataPatterns.Cqrs | 5000–5099 |
| DataPatterns.Cqrs.Npgsql | 5100–5199 |
| DataPatterns.Cqrs.Redis | 5200–5299 |
| DataPatterns.EntityFrameworkCore | 6000–6099 |
| DataPatterns.AspNetCore | 6100–6199 |
''')
kinds={'Counter':'counter','Histogram':'histogram','UpDownCounter':'up-down counter','ObservableGauge':'observable gauge','ObservableCounter':'observable counter','ObservableUpDownCounter':'observable up-down counter','Gauge':'gauge'}
def text(files):
    return '\n'.join(open(f).read() for f in files)
def clean(s): return s.replace('|','\\|').replace('\n',' ')
for p in pk:
    files=[f for f in glob.glob(f'src/DataPatterns.{p}/**/*.cs',recursive=True) if '/obj/' not in f and '/bin/' not in f]
    src=text(files)
    flat=re.sub(r'"\s*\+\s*"','',re.sub(r'\s+',' ',src))
    inst=[]
    for m in re.finditer(r'Create(Counter|Histogram|UpDownCounter|ObservableGauge|ObservableCounter|ObservableUpDownCounter|Gauge)(<\w+>)?\(\s*"([^"]+)"(.*?)\);',flat):
        kind,_,name,rest=m.groups()
        strs=re.findall(r'"((?:[^"\\]|\\.)*)"',rest)
        unit=strs[-2] if len(strs)>=2 else ''
        desc=strs[-1] if len(strs)>=1 else ''
        inst.append((name,kinds[kind],unit,desc))
    acts=sorted(set(a.strip() for a in re.findall(r'StartActivity\(\s*\$?"([^"{]+)',flat)))
    evs=[]
    for m in re.finditer(r'\[LoggerMessage\(([^\]]*)\)\]',flat):
        a=m.group(1)
        idm=re.match(r'\s*(\d+)\s*,\s*LogLevel\.(\w+)\s*,\s*"((?:[^"\\]|\\.)*)"',a)
        if idm:
            i,lvl,msg=idm.groups()
        else:
            i=re.search(r'EventId\s*=\s*(\d+)',a); lvl=re.search(r'Level\s*=\s*LogLevel\.(\w+)',a); msg=re.search(r'Message\s*=\s*"((?:[^"\\]|\\.)*)"',a)
            if not i: continue
            i=i.group(1); lvl=lvl.group(1) if lvl else ''; msg=msg.group(1) if msg else ''
        short=msg if len(msg)<=170 else msg[:167].rsplit(' ',1)[0]+' …'
        evs.append((int(i),lvl,short))
    evs.sort()
    out.append(f'## DataPatterns.{p}\n')
    if inst:
        out.append('| instrument | kind | unit | meaning |\n|---|---|---|---|')
        for n,k,u,d in inst:
            out.append(f'| `{n}` | {k} | {u} | {clean(d)} |')
        out.append('')
    else:
        out.append('Instruments: none of its own.\n')
    if acts:
        out.append('Spans: '+', '.join(f'`{a}`' for a in acts)+'.\n')
    if evs:
        out.append('| event id | level | message |\n|---|---|---|')
        for i,l,mg in evs:
            out.append(f'| {i} | {l} | {clean(mg)} |')
        out.append('')
    else:
        out.append('Log events: none.\n')
out.append('''## How each package makes its Meter

One shape in every package, under `Diagnostics/`: a public static `<Package>Telemetry` class holds the name
(`RoutingTelemetry.Name`, `CachingTelemetry.Name`, ...; `DataPatternsInstrumentation.Names` lists them all), an internal
`<Package>Metrics` class holds the instruments, and `<Package>Log` the log events. The Meter comes from the host's
`IMeterFactory` when one is registered (every `AddXxx` call passes it on; a `ReadWriteRouter` built by hand takes one as a
constructor argument), so metrics are scoped to the service provider; without a factory, an object built by hand makes a
Meter of its own (Sharding's resolvers, maps and movers share one per process, as they have no observable state). Spans
come from one `ActivitySource` per package, which has no factory in .NET.
''')

open('docs/telemetry.md','w').write('\n'.join(out).rstrip('\n')+'\n')
