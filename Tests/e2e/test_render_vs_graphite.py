"""Side by side with Graphite itself: graphite-render (a Python 3 graphite-api) and Telewall serve the same Whisper
files; every query's JSON is compared value by value. Differences are bugs unless the README calls them deliberate."""

import json
import math
import os
import random
import time
import urllib.parse

import pytest
import whisper

from telewall_service import Service

# Left out, because graphite-render 1.1.8 fails on them under Python 3 (a 500): series of different steps in
# one function (step becomes a float), and highestMax over series with nulls. The unit tests cover both.
QUERIES = [
    "a.b.c", "a.b.*", "a.{b,x}.[cd]", "a.b", "a.*", "sumSeries(a.*)", "sumSeries(a.b.*)", "averageSeries(a.b.*)", "maxSeries(a.b.*)", "minSeries(a.b.*)",
    "diffSeries(a.b.c,a.b.d)", "divideSeries(a.b.c,a.b.d)", "multiplySeries(a.b.c,a.b.d)",
    "scale(a.b.c,2.5)", "scale(a.b.*,-1)", "offset(a.b.c,-1)", "absolute(a.b.d)", "derivative(a.b.c)", "integral(a.b.c)",
    "nonNegativeDerivative(counter.hits)", "nonNegativeDerivative(counter.hits,100)", "perSecond(counter.hits)",
    "keepLastValue(a.b.c)", "keepLastValue(a.b.c,1)", "transformNull(a.b.c,-1)", "transformNull(a.b.c)",
    "alias(a.b.c,'renamed')", "aliasByNode(a.b.*,2)", "aliasByNode(a.b.*,0,-1)", "aliasSub(a.b.*,'^a\\.b\\.','x_')",
    "aliasSub(a.b.c,'(^.*$)','\\1')", "constantLine(100)", "group(a.b.c,slow.e)", "limit(a.b.*,1)", "sortByName(a.b.*)",
    "highestCurrent(a.b.*,1)", "lowestCurrent(a.b.*,1)", "scale(sumSeries(a.b.*),0.5)",
    "asPercent(a.b.*)", "asPercent(a.b.c,a.b.d)", "asPercent(a.b.*,200)", "groupByNode(a.b.*,1,'sumSeries')",
    "groupByNode(a.*.*,0,'averageSeries')", "timeShift(a.b.c,'5min')", "timeShift(a.b.c,'-10min')",
    "movingAverage(a.b.c,5)", "movingAverage(a.b.*,'2min')", "summarize(a.b.c,'1min')", "summarize(a.b.*,'5min','avg')",
    "summarize(a.b.c,'2min','max')", "summarize(a.b.c,'1min','last')", "summarize(a.b.c,'90s','sum',true)", "hitcount(a.b.c,'1min')", "hitcount(counter.hits,'5min')",
    # Over series of different steps movingAverage fetches the coarsest step's window earlier for every series,
    # which leaves the finer ones values past their end; the JSON has points only up to it.
    "movingAverage(group(a.b.c,hitcount(a.b.d,'1min')),1)", "movingAverage(group(a.b.*,constantLine(-1.5)),2)",
    # aliasByNode reads the target at the start of a name that is no whole target.
    "aliasByNode(groupByNode(asPercent(a.{b,x}.[cd]),2,'averageSeries'),-1)", "aliasByNode(alias(a.b.c,'My Alias (x)'),0)",
    "aliasByNode(alias(a.b.c,'sumSeries(a'),0)", "aliasByNode(alias(a.b.c,'a.{b,c}.d(e'),1)",
    # Graphite's optional parameters: a reference series for transformNull, resetEnd and alignDST for timeShift,
    # alignToInterval for hitcount (one series each: graphite-render refetches each by its path expression).
    "transformNull(a.b.c,-1,a.b.d)", "transformNull(a.b.*,0.5,counter.hits)", "transformNull(a.b.d,2,referenceSeries=a.b.c)",
    "timeShift(a.b.c,'-10min',false)", "timeShift(a.b.c,'90min',false)", "timeShift(a.b.c,'5min',true,true)", "hitcount(a.b.c,'1min',true)",
    "hitcount(counter.hits,'5min',true)", "hitcount(a.b.d,'30s',true)", "hitcount(a.b.c,'2min',alignToInterval=true)",
    # Counts of 0 or below slice as Python slices (highestCurrent's [-n:], lowestCurrent's and limit's [:n]); a
    # divisor list with no series leaves the dividend named for it and empty.
    "highestCurrent(a.b.*,0)", "highestCurrent(a.{b,x}.[cd],-1)", "lowestCurrent(a.b.*,-1)",
    "limit(a.b.*,-1)", "divideSeries(a.b.c,limit(a.b.d,0))",
    # Natural order as Graphite's: digit runs padded to ten digits, then code points (capitals before lower case,
    # digits before '_').
    "sortByName(group(alias(a.b.c,'server10'),alias(a.b.d,'server9'),alias(slow.e,'Server1'),alias(counter.hits,'server_0'),alias(a.b,'server007x')),true)",
    "sortByName(group(alias(a.b.c,'b2'),alias(a.b.d,'B10'),alias(slow.e,'b02'),alias(counter.hits,'a12345678901234567890')),natural=true)",
    "sortByName(group(alias(a.b.c,'b2'),alias(a.b.d,'B10'),alias(slow.e,'b-1')))",
    # Beyond SPEC 5.1: filters by name and by a statistic, names cut from paths, wildcard aggregates, transforms.
    "exclude(a.b.*,'c$')", "grep(a.b.*,'c$')", "grep(a.*,'^a\\.b$')", "exclude(g.*,'[A-Z]')", "grep(sumSeries(a.b.*),'sum')",
    "removeEmptySeries(group(a.b.c,divideSeries(a.b.c,z.zero)))", "removeEmptySeries(z.*)",
    "removeAboveValue(a.b.*,10)", "removeBelowValue(a.b.*,-10.5)", "removeAboveValue(z.*,1e10)", "removeBelowValue(a.b.c,0.1234567)",
    "currentAbove(a.b.*,0)", "currentBelow(a.b.*,0)", "averageAbove(a.b.*,0)", "averageBelow(a.b.*,0)",
    "maximumAbove(a.b.*,45)", "maximumBelow(group(a.b.c,scale(a.b.d,0.5)),45)", "minimumAbove(group(a.b.c,scale(a.b.d,0.5)),-45)",
    "minimumBelow(a.b.*,-45)",
    "currentBelow(group(a.b.c,divideSeries(a.b.c,z.zero)),5)", "maximumAbove(group(g.a.*,a.b.c),0)", "maximumBelow(group(g.a.*,a.b.c),0)",
    "highestAverage(a.b.*)", "highestAverage(a.b.*,2)", "lowestAverage(a.b.*)", "lowestAverage(a.*.*,3)",
    "aliasByMetric(a.b.*)", "aliasByMetric(sumSeries(a.b.*))", "aliasByMetric(scale(a.b.c,2))", "aliasByMetric(a.*)",
    "substr(a.b.*,1)", "substr(a.b.*,1,2)", "substr(a.b.*,-2)", "substr(scale(a.b.c,2),0,-1)", "substr(a.b.c,2,1)",
    "countSeries(a.b.*)", "countSeries(a.*.*)", "sumSeries(countSeries(a.b.*))",
    "sumSeriesWithWildcards(a.b.*,2)", "sumSeriesWithWildcards(a.*.*,1)", "sumSeriesWithWildcards(g.*.*,1)", "sumSeriesWithWildcards(a.b.*)",
    "averageSeriesWithWildcards(a.*.*,1)", "averageSeriesWithWildcards(g.*.*,0,2)", "averageSeriesWithWildcards(a.b.*,2)",
    "sumSeries(sumSeriesWithWildcards(g.*.*,1))", "sumSeries(averageSeriesWithWildcards(g.*.*,1))",
    "offsetToZero(a.b.*)", "offsetToZero(z.*)", "invert(a.b.*)", "invert(z.*)", "squareRoot(a.b.*)", "squareRoot(z.*)",
    "isNonNull(a.b.*)", "isNonNull(z.nan)", "delay(a.b.c,1)", "delay(a.b.*,3)", "delay(a.b.c,1000)",
    "sumSeries(invert(a.b.*))", "sumSeries(delay(a.b.*,2))", "sumSeries(removeAboveValue(a.b.*,1))", "sumSeries(isNonNull(a.b.*))",
    "sumSeries(offsetToZero(a.b.*))", "sumSeries(squareRoot(a.b.*))",
    "changed(a.b.*)", "changed(z.*)", "changed(keepLastValue(a.b.c))", "pow(a.b.*,2)", "pow(a.b.c,0.5)", "pow(z.*,-1)", "pow(a.b.c,-2.5)",
    "scaleToSeconds(a.b.*,60)", "scaleToSeconds(slow.e,1)", "scaleToSeconds(a.b.c,2.7)", "cumulative(a.b.*)", "sumSeries(cumulative(a.b.*))",
    "fallbackSeries(a.b.c,a.b.d)", "fallbackSeries(x.y,a.b.d)", "fallbackSeries(a.*,constantLine(1))",
    "color(a.b.*,'red')", "alpha(a.b.c,0.5)", "lineWidth(a.b.c,2)", "dashed(a.b.*)", "dashed(a.b.c,2.5)", "secondYAxis(a.b.*)",
    "sumSeries(dashed(a.b.*))", "aliasByNode(secondYAxis(a.b.c),1)",
    # rangeOfSeries over rows with nulls fails in graphite-render (Python 3's max of None); the unit tests hold it.
    "stddevSeries(a.b.*)", "stddevSeries(a.*.*)", "stddevSeries(z.*)", "rangeOfSeries(keepLastValue(a.b.*))",
    "percentileOfSeries(a.b.*,50)", "percentileOfSeries(a.*.*,90)", "percentileOfSeries(a.*.*,90,true)", "percentileOfSeries(a.*.*,100,false)",
    "percentileOfSeries(a.*.*,0.5)", "nPercentile(a.b.*,50)", "nPercentile(a.b.c,95)", "nPercentile(a.b.c,100)", "nPercentile(z.{big,whole},30)",
    "sortByTotal(a.*.*)", "sortByTotal(z.*)", "sortByMinima(keepLastValue(a.*.*))",
    "groupByNodes(a.*.*,'sumSeries',1)", "groupByNodes(a.*.*,'averageSeries',0,2)", "groupByNodes(g.*.*,'maxSeries',2,0)", "groupByNodes(a.b.*,'minSeries')",
    "movingSum(a.b.*,3)", "movingSum(a.b.c,'1min')", "movingSum(slow.e,2)", "movingSum(z.*,4)", "movingMin(a.b.*,3)", "movingMin(a.b.c,'1min')",
    "movingMax(a.b.*,5)", "movingMax(counter.hits,'2min')", "movingMedian(a.b.*,3)", "movingMedian(a.b.c,4)", "movingMedian(a.b.c,'1min')",
    "movingMedian(z.{big,whole},5)", "movingMin(a.b.c,1)", "sumSeries(movingMax(a.b.*,2))",
    "removeAbovePercentile(a.b.*,50)", "removeBelowPercentile(a.b.*,90)", "removeAbovePercentile(z.{big,whole,tiny},10)",
    "removeBelowPercentile(divideSeries(a.b.c,z.zero),50)", "log(a.b.*)", "log(a.b.c,2)", "log(z.*,2.5)", "log(counter.hits,10)",
    "integralByInterval(a.b.*,'1min')", "integralByInterval(a.b.c,'5min')", "integralByInterval(slow.e,'90s')", "threshold(42)",
    "threshold(42,'limit')", "threshold(-1.5,'x','red')", "threshold(7,label='lbl')", "aggregateLine(a.b.*)", "aggregateLine(a.b.c,'max')",
    "aggregateLine(a.b.d,'min')", "aggregateLine(divideSeries(a.b.c,z.zero))", "aggregateLine(z.*)", "divideSeriesLists(a.b.*,a.b.*)",
    "divideSeriesLists(a.b.*,group(a.b.d,a.b.c))", "sumSeries(divideSeriesLists(a.b.*,a.b.*))", "divideSeriesLists(movingAverage(a.b.d,2),a.b.c)",
]
# Over series of different steps the result ends a whole number of the common step after its start, counted from
# the latest end of the series before they were consolidated (a last, partial group does not move it).
# graphite-render writes these as raw text; its JSON fails on them (a float step), so they are compared as raw
# text only.
RAW_ONLY = ["multiplySeries(constantLine(10),a.b.c)", "divideSeries(constantLine(2),a.b.d)",
            "multiplySeries(constantLine(2),hitcount(a.b.c,'5min'))", "sumSeries(constantLine(-1),slow.e)"]


def make_files(root, now):
    rng = random.Random(11)
    os.makedirs(os.path.join(root, "a", "b"), exist_ok=True)
    os.makedirs(os.path.join(root, "slow"), exist_ok=True)
    os.makedirs(os.path.join(root, "counter"), exist_ok=True)
    # a.b is a series and a branch at once.
    for name, step in [("a/b/c", 10), ("a/b/d", 10), ("slow/e", 20), ("counter/hits", 10), ("a/b", 10)]:
        path = os.path.join(root, name + ".wsp")
        whisper.create(path, [(step, 600), (60, 1000)], xFilesFactor=0.3)
        points = []
        total = 0
        for i in range(150):
            t = now - i * step
            if name == "counter/hits":
                total += rng.randint(0, 20)
                value = float(total % 120)  # wraps like a counter
            else:
                value = round(rng.uniform(-50, 50), 3)
            if rng.random() < 0.15:
                continue  # gaps: nulls
            points.append((t, value))
        if name == "counter/hits":
            points = [(t, v) for (t, v) in reversed(points)]
        whisper.update_many(path, points)


# Values at the edges of a double under `z`: signed zeros, infinities, NaN, the largest and the smallest, whole
# numbers past 2^53; each series draws from its own list.
SPECIAL_VALUES = {
    "zero": [0.0], "negzero": [-0.0, 0.0], "big": [1e300, -1e300, 1.7e308, 5.0], "tiny": [1e-5, 3e-310, 1e-300, -2.5e-7],
    "whole": [2.0**53, 1e16, 1.2345678901234568e17, 1e15 + 0.5, -9007199254740993.0], "inf": [math.inf, -math.inf, 1.0, 2.0],
    "nan": [math.nan, 1.0, 2.0], "mixed": [1e-5, 1e300, math.inf, 0.0, -0.0, 7.25, 1e16, math.nan],
}


def make_special_files(root, now):
    rng = random.Random(3)
    os.makedirs(os.path.join(root, "z"), exist_ok=True)
    for name, values in SPECIAL_VALUES.items():
        path = os.path.join(root, "z", name + ".wsp")
        whisper.create(path, [(10, 600), (60, 1000)], xFilesFactor=0.3)
        whisper.update_many(path, [(now - i * 10, rng.choice(values)) for i in range(150) if rng.random() > 0.15])


# Names for the glob tree under `g`: letters of both cases, digits, '-' and '_', one character and several.
GLOB_NAMES = ["a", "b", "ab", "ba", "abc", "a-b", "a_b", "x1", "1x", "A", "aB", "zz", "a1b2", "-", "_", "b-a"]


def make_glob_tree(root, now):
    """150 random paths one to three names deep under `g`; a name may be a series in one place and a branch in
    another."""
    rng = random.Random(5)
    for _ in range(150):
        path = os.path.join(root, "g", *(rng.choice(GLOB_NAMES) for _ in range(rng.randint(1, 3)))) + ".wsp"
        if os.path.exists(path):
            continue
        os.makedirs(os.path.dirname(path), exist_ok=True)
        whisper.create(path, [(10, 600)])
        whisper.update(path, 1.0, now - 20)


@pytest.fixture(scope="module")
def both():
    s = Service()
    tenant = s.sign_up("graphite@example.com")
    root = os.path.join(s.data, "whisper", tenant.id)
    now = int(time.time()) // 60 * 60
    make_files(root, now)
    make_glob_tree(root, now)
    make_special_files(root, now)
    index = os.path.join(s.data, "graphite-index")
    config = os.path.join(s.data, "graphite-render.yaml")
    with open(config, "w") as f:
        f.write(f"search_index: {index}\nfinders:\n  - graphite_render.finders.whisper.WhisperFinder\n"
                f"functions:\n  - graphite_render.functions.SeriesFunctions\nwhisper:\n  directories:\n    - {root}\ntime_zone: UTC\n")
    os.environ["GRAPHITE_API_CONFIG"] = config
    from graphite_render.app import app
    yield s, tenant, app.test_client(), now
    s.stop()


def close(a, b):
    if a is None or b is None:
        return a is None and b is None
    return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-9)


def strict_json(text):
    """JSON as RFC 8259 has it: graphite-render writes NaN and Infinity, which are not JSON."""
    return json.loads(text, parse_constant=lambda token: pytest.fail(f"{token} is no JSON"))


def compare(both, query, ours=None, adjust=lambda answer: answer, **extra):
    """Renders `query` from both servers and compares names, timestamps and values. Where JSON has no number,
    Telewall writes null and graphite-render NaN or Infinity, which are no JSON (README: deliberate differences);
    theirs is read as null, and Telewall's must be JSON. `ours` are parameters only Telewall is asked with, and
    `adjust` turns graphite-render's answer into the one expected of them."""
    service, tenant, graphite, now = both
    params = {"target": query, "from": now - 1200, "until": now - 60, "format": "json", **extra}
    expected = adjust(json.loads(graphite.get("/render?" + urllib.parse.urlencode(params)).data, parse_constant=lambda token: None))
    status, body, _ = service.request("GET", "/render?" + urllib.parse.urlencode({**params, **(ours or {})}), headers={"Cookie": tenant.cookie})
    assert status == 200, body
    got = strict_json(body)
    assert [s["target"] for s in got] == [s["target"] for s in expected]
    for ours, theirs in zip(got, expected):
        assert [p[1] for p in ours["datapoints"]] == [p[1] for p in theirs["datapoints"]], ours["target"]
        bad = [(p[1], p[0], q[0]) for p, q in zip(ours["datapoints"], theirs["datapoints"]) if not close(p[0], q[0])]
        assert not bad, (ours["target"], bad[:5])


@pytest.mark.parametrize("query", QUERIES)
def test_same_json_as_graphite(both, query):
    compare(both, query)


def test_find_matches_graphite(both):
    service, tenant, graphite, now = both
    # Under a glob parent ('{a,slow}.*'), both Graphites name a node by the query's parent and its name
    # ('{a,slow}.b'); Telewall gives the real path, so such queries are left out (README: deliberate differences).
    for query in ["*", "a.*", "a.b", "a.b.*", "a.b.[c]", "a.b.?", "nothing.*"]:
        expected = sorted((n["id"], n["leaf"]) for n in json.loads(graphite.get("/metrics/find?query=" + query).data))
        status, got, _ = service.api("GET", "/metrics/find?query=" + urllib.parse.quote(query), cookie=tenant.cookie)
        assert sorted((n["id"], n["leaf"]) for n in got) == expected, query
        # Grafana's editor POSTs the query as a form, the time range in the URL.
        form, url = "query=" + urllib.parse.quote(query), f"/metrics/find?from={now - 21600}&until={now}"
        posted = json.loads(graphite.post(url, data=form, content_type="application/x-www-form-urlencoded").data)
        status, got, _ = service.request("POST", url, form.encode(), {"Cookie": tenant.cookie, "Content-Type": "application/x-www-form-urlencoded"})
        assert status == 200 and sorted((n["id"], n["leaf"]) for n in json.loads(got)) == sorted((n["id"], n["leaf"]) for n in posted) == expected, query


def test_find_formats_match_graphite(both):
    """wildcards, format=completer and format=nodelist, as graphite-render answers them. Two deliberate
    differences (README): `is_leaf` is a string in completer, as graphite-web writes it; and a name that is a series
    and a branch is one node (the branch) in every format, so queries that find `a.b` (`a.*`) are not compared
    here: graphite-render counts it twice, and adds a `*` node beside it."""
    service, tenant, graphite, now = both

    def both_answers(params):
        url = "/metrics/find?" + urllib.parse.urlencode(params)
        status, got, _ = service.api("GET", url, cookie=tenant.cookie)
        assert status == 200, (params, got)
        return got, json.loads(graphite.get(url).data)

    # (treejson under a glob parent, `*.*`, is not compared: Graphite's ids there carry the glob, `*.b`.)
    for query in ["*", "a.b.*", "a.b.c", "nothing.*"]:
        got, expected = both_answers({"query": query, "wildcards": 1})
        key = lambda n: (n["id"], n["text"], n["leaf"], n["expandable"], n["allowChildren"])
        assert sorted(map(key, got)) == sorted(map(key, expected)), query
        assert len(got) < 3 or got[0]["text"] == "*", query  # two nodes or more: the wildcard, first
    for query in ["*", "a.b.*", "slow.*", "counter.*", "a.b.c"]:
        for wildcards in [0, 1]:
            got, expected = both_answers({"query": query, "format": "completer", "wildcards": wildcards})
            key = lambda n: (n.get("path", ""), n["name"], int(n.get("is_leaf", -1)))
            assert sorted(map(key, got["metrics"])) == sorted(map(key, expected["metrics"])), (query, wildcards)
            assert all(isinstance(n["is_leaf"], str) for n in got["metrics"] if "is_leaf" in n)
            assert not wildcards or len(got["metrics"]) < 3 or got["metrics"][-1] == {"name": "*"}, query  # the wildcard, last
        depth = query.count(".") + 1
        for position in range(-depth, depth):  # past the names, graphite-render fails with a 500; Telewall, a 400 (below)
            got, expected = both_answers({"query": query, "format": "nodelist", "position": position})
            assert got == expected, (query, position)
    for params, problem in [({"format": "pickle"}, "format"), ({"wildcards": "yes"}, "wildcards"),
                            ({"format": "nodelist", "position": "x"}, "position"), ({"format": "nodelist", "position": 3}, "position")]:
        status, got, _ = service.api("GET", "/metrics/find?" + urllib.parse.urlencode({"query": "a.b.*", **params}), cookie=tenant.cookie)
        assert status == 400 and got["error"]["message"].startswith(problem + ":"), (params, got)


def test_index_lists_every_series_as_graphite(both):
    service, tenant, graphite, now = both
    root = os.path.join(service.data, "whisper", tenant.id)
    walked = sorted(os.path.relpath(os.path.join(d, f), root)[:-4].replace(os.sep, ".")
                    for d, _, files in os.walk(root) for f in files if f.endswith(".wsp"))
    expected = json.loads(graphite.get("/metrics/index.json").data)
    status, got, _ = service.api("GET", "/metrics/index.json", cookie=tenant.cookie)
    assert status == 200 and got == expected == walked


@pytest.mark.parametrize("query,extra", [
    ("a.b.*", {"maxDataPoints": 20}), ("sumSeries(a.b.*)", {"maxDataPoints": 7}), ("consolidateBy(a.b.c,'max')", {"maxDataPoints": 10}),
    ("consolidateBy(a.b.c,'sum')", {"maxDataPoints": 33}), ("a.b.c", {"maxDataPoints": 500}), ("a.b.*", {"noNullPoints": "true"}),
    ("movingAverage(group(a.b.c,hitcount(a.b.d,'1min')),1)", {"maxDataPoints": 20}),
    ("movingAverage(group(a.b.c,hitcount(a.b.d,'1min')),1)", {"noNullPoints": "true"}),
])
def test_max_data_points_and_no_null_points_as_graphite(both, query, extra):
    compare(both, query, **extra)


def test_sort_by_maxima_is_highest_first_as_graphite_web(both):
    """graphite-web 1.1 sorts by maximum from the highest down, as Graphite's documentation says; graphite-render
    sorts the other way. With no two maxima equal, graphite-render's order reversed is graphite-web's."""
    def reversed_four(answer):
        assert len(answer) == 4
        return answer[::-1]
    compare(both, "sortByMaxima(transformNull(group(a.b.*,slow.e,counter.hits),-100))", adjust=reversed_four)


def without_null_points(answer):
    """graphite-web 1.1's noNullPoints applied to a JSON answer read with NaN and Infinity as None: every point
    without a value left out, then every series with no point left."""
    kept = [{**s, "datapoints": [p for p in s["datapoints"] if p[0] is not None]} for s in answer]
    return [s for s in kept if s["datapoints"]]


@pytest.mark.parametrize("query,max_points", [
    ("a.b.*", 5), ("a.{b,x}.[cd]", 13), ("sumSeries(a.b.*)", 2), ("group(a.b.c,slow.e)", 7), ("a.b.c", 1),
    # Division by zero is None in Graphite: a series of nulls only, which is left out.
    ("divideSeries(a.b.c,z.zero)", None), ("group(divideSeries(a.b.c,z.zero),a.b.d)", 40), ("z.*", 9), ("z.*", None), ("sumSeries(z.{nan,inf})", None),
    ("group(z.nan,a.b.c)", 300),
])
def test_no_null_points_leaves_out_what_json_writes_as_null(both, query, max_points):
    """graphite-web 1.1 leaves out None and NaN under noNullPoints, after maxDataPoints when both are given
    (graphite-render ignores noNullPoints then, and keeps NaN). Telewall writes an infinity as null (graphite-web
    as 1e9999), so it leaves that out too: no null under noNullPoints. The expected answer is graphite-render's
    (with maxDataPoints when given) with those points, then empty series, taken out here."""
    extra = {"maxDataPoints": max_points} if max_points else {"noNullPoints": "true"}
    compare(both, query, ours={"noNullPoints": "true"}, adjust=without_null_points, **extra)


@pytest.mark.parametrize("query,extra", [
    ("a.b.c", {}), ("a.b.*", {"maxDataPoints": 5, "noNullPoints": "true"}), ("group(a.b.c,slow.e)", {}),
    ("scale(a.b.c,2.5)", {}), ("alias(a.b.c,'quoted, \"name\"')", {}), ("scale(constantLine(3),3001002003004005)", {}),
    ("a.b.*", {"tz": "Asia/Kolkata"}), ("a.b.c", {"tz": "America/New_York"}),
])
def test_csv_is_graphites_text(both, query, extra):
    """CSV byte for byte: Python's csv quoting, times in UTC, values as repr, every point (maxDataPoints and
    noNullPoints shape only the JSON)."""
    service, tenant, graphite, now = both
    params = urllib.parse.urlencode({"target": query, "from": now - 1200, "until": now - 60, "format": "csv", **extra})
    expected = graphite.get("/render?" + params).data.decode()
    status, got, headers = service.request("GET", "/render?" + params, headers={"Cookie": tenant.cookie})
    assert status == 200 and headers["Content-Type"] == "text/csv"
    assert expected.count("\r\n") >= 3
    assert got.decode() == expected


@pytest.mark.parametrize("start,end", [
    ("midnight-1d", "midnight"), ("noon yesterday", "tomorrow"), ("yesterday", "teatime"), ("today+1h", "tomorrow"),
    ("18:05_yesterday", "midnight"), ("6:30pm yesterday", "noon tomorrow"), ("midnight-2d12h", "yesterday+90min"),
    ("monday", "tomorrow"), ("noon friday", "teatime"), ("sun+6h", "now"), ("jan1", "feb 2"), ("6:30pm_mar 3", "dec 9"),
    ("12/25/24", "01/02/2025"), ("20240228", "03/01/24"),
    # until before from: graphite-render takes the earlier as the start.
    ("tomorrow", "yesterday"), ("noon", "midnight-2d"),
])
def test_named_times_as_graphite(both, start, end):
    """Graphite's named times (UTC here): constantLine's three points sit at from, the middle and until."""
    service, tenant, graphite, now = both
    params = urllib.parse.urlencode({"target": "constantLine(1)", "from": start, "until": end, "format": "json"})
    expected = json.loads(graphite.get("/render?" + params).data)
    status, got, _ = service.api("GET", "/render?" + params, cookie=tenant.cookie)
    assert status == 200, got
    assert [p[1] for p in got[0]["datapoints"]] == [p[1] for p in expected[0]["datapoints"]]


def test_an_empty_range_is_a_400(both):
    service, tenant, graphite, _ = both
    params = urllib.parse.urlencode({"target": "constantLine(1)", "from": "midnight", "until": "today", "format": "json"})
    assert graphite.get("/render?" + params).status_code >= 400
    status, got, _ = service.api("GET", "/render?" + params, cookie=tenant.cookie)
    assert status == 400 and got["error"]["code"] == "bad_time" and "empty" in got["error"]["message"], got


@pytest.mark.parametrize("start,end,zone", [
    ("22:13_20231114", "08:00_20231115", "America/New_York"), ("00:00_20240229", "12:30_20240301", "Asia/Kolkata"),
    ("1700000000", "-1h", "Europe/Berlin"),
])
def test_times_on_a_zones_clock_as_graphite(both, start, end, zone):
    """`tz` puts the clock times of from and until in that zone; epoch seconds and offsets from now stay as they are."""
    service, tenant, graphite, now = both
    params = urllib.parse.urlencode({"target": "constantLine(1)", "from": start, "until": end, "tz": zone, "format": "json"})
    expected = json.loads(graphite.get("/render?" + params).data)
    status, got, _ = service.api("GET", "/render?" + params, cookie=tenant.cookie)
    assert status == 200, got
    assert [p[1] for p in got[0]["datapoints"]] == [p[1] for p in expected[0]["datapoints"]]


@pytest.mark.parametrize("query", ["a.b.*", "sumSeries(a.b.*)", "movingAverage(a.b.c,5)"])
def test_now_moves_relative_times_as_graphite(both, query):
    """Graphite's `now` parameter: from and until count from it."""
    service, tenant, graphite, now = both
    compare(both, query, **{"from": "-15min", "until": "-1min", "now": now - 300})


def test_now_moves_the_archive_choice_as_graphite_web(both):
    """The fetch takes `now` as the present, as graphite-web passes it to whisper.fetch: ten minutes before a `now`
    91 minutes ago still lie within the 10-second archive's 6,000 s. Asked without `now`, the same times are at
    least 6,060 s old and come from the 60-second archive (whisper's rule)."""
    service, tenant, graphite, now = both
    past = now - 5460
    steps = []
    for params in [{"from": "-10min", "now": past}, {"from": past - 600, "until": past}]:
        query = urllib.parse.urlencode({"target": "a.b.c", "format": "json", **params})
        status, got, _ = service.api("GET", "/render?" + query, cookie=tenant.cookie)
        assert status == 200, got
        times = [p[1] for p in got[0]["datapoints"]]
        steps.append(times[1] - times[0])
        assert past - 600 - steps[-1] < times[0] <= past - 600 + steps[-1] and times[-1] <= past
    assert steps == [10, 60]


@pytest.mark.parametrize("value", ["yesterdayish", "-5parsecs", "1e300"])
def test_a_now_that_is_not_a_time_is_a_400(both, value):
    service, tenant, graphite, now = both
    status, got, _ = service.api("GET", "/render?" + urllib.parse.urlencode({"target": "a.b.c", "now": value}), cookie=tenant.cookie)
    assert status == 400 and got["error"]["code"] == "bad_time" and "now" in got["error"]["message"], got


@pytest.mark.parametrize("zone", ["Mars/Olympus_Mons", "GMT+5", "utc", "../../etc/passwd", ""])
def test_an_unknown_time_zone_is_a_400(both, zone):
    service, tenant, graphite, now = both
    params = urllib.parse.urlencode({"target": "constantLine(1)", "tz": zone})
    status, got, _ = service.api("GET", "/render?" + params, cookie=tenant.cookie)
    if zone:
        assert status == 400 and got["error"]["code"] == "bad_parameter" and "tz" in got["error"]["message"], got
    else:
        assert status == 200, got


@pytest.mark.parametrize("query", QUERIES + RAW_ONLY + ["a.b.*&rawData=true"])
def test_raw_is_graphites_text(both, query):
    """Graphite's raw text byte for byte: name, start, end and step, then every value (`None` for a null)."""
    service, tenant, graphite, now = both
    target, _, extra = query.partition("&")
    params = urllib.parse.urlencode({"target": target, "from": now - 1200, "until": now - 60}) + "&" + (extra or "format=raw")
    expected = graphite.get("/render?" + params)
    status, got, headers = service.request("GET", "/render?" + params, headers={"Cookie": tenant.cookie})
    assert expected.status_code == 200 and status == 200 and headers["Content-Type"] == "text/plain"
    ours, theirs = got.decode().split("\n"), expected.data.decode().split("\n")
    assert len(ours) == len(theirs) > 1
    for line, expected_line in zip(ours, theirs):
        head, _, values = line.partition("|")
        expected_head, _, expected_values = expected_line.partition("|")
        assert head == expected_head
        # The one deliberate difference (README): a number Graphite's Python keeps as an int (constantLine(100),
        # transformNull's 0) is written as a float, `100.0`.
        ours_values, their_values = values.split(","), expected_values.split(",")
        assert len(ours_values) == len(their_values), head
        differing = [(a, b) for a, b in zip(ours_values, their_values) if a != b and not (b.lstrip("-").isdigit() and a == b + ".0")]
        assert not differing, (head, differing[:5])


def test_formats_telewall_does_not_write_are_a_400(both):
    service, tenant, _, now = both
    for format in ["png", "svg", "pickle", "JSON"]:
        status, answer, _ = service.api("GET", f"/render?target=a.b.c&format={format}", cookie=tenant.cookie)
        assert status == 400 and answer["error"]["code"] == "bad_parameter" and format in answer["error"]["message"]


SPECIAL_QUERIES = [
    "z.*", "sumSeries(z.*)", "averageSeries(z.{inf,nan,mixed})", "diffSeries(z.negzero,z.zero)", "diffSeries(z.negzero)",
    "diffSeries(scale(z.zero,-1),z.zero)", "maxSeries(z.negzero,z.zero)", "minSeries(z.zero,z.negzero)",
    "multiplySeries(z.big,z.big)", "multiplySeries(z.tiny,z.tiny)", "divideSeries(z.big,z.tiny)", "divideSeries(z.whole,z.zero)",
    "asPercent(z.{big,mixed})", "asPercent(z.inf,z.nan)", "scale(z.big,10)", "offset(z.whole,0.5)", "absolute(z.mixed)",
    "derivative(z.inf)", "nonNegativeDerivative(z.mixed)", "perSecond(z.big)", "integral(z.{nan,big})", "movingAverage(z.*,3)",
    "movingAverage(z.mixed,'1min')", "summarize(z.*,'1min','avg')", "summarize(z.{nan,inf},'1min','max')", "hitcount(z.mixed,'1min')",
    "keepLastValue(z.nan)", "transformNull(z.inf,-1.5)", "highestCurrent(z.*,3)",
    "lowestCurrent(z.*,2)", "groupByNode(z.*,0,'sumSeries')", "consolidateBy(z.mixed,'max')",
]


@pytest.mark.parametrize("query", SPECIAL_QUERIES)
def test_values_at_the_edges_of_a_double_as_graphite(both, query):
    """Values compared as elsewhere (`compare`: NaN and Infinity, which graphite-render writes, read as the null
    Telewall writes). The raw text (Python's str of each value: nan, inf, -0.0, 1e+300) byte for byte."""
    service, tenant, graphite, now = both
    compare(both, query)
    params = {"target": query, "from": now - 1200, "until": now - 60}
    raw = urllib.parse.urlencode({**params, "format": "raw"})
    status, ours, _ = service.request("GET", "/render?" + raw, headers={"Cookie": tenant.cookie})
    assert status == 200 and ours.decode() == graphite.get("/render?" + raw).data.decode()


# Random compositions: every function but timeShift (graphite-render re-evaluates each series'
# pathExpression for it, which drops or repeats series: README, deliberate differences), with arguments drawn
# from small sets. Queries graphite-render itself fails on (a 500) are left out.
RANDOM_SIGNATURES = {
    "sumSeries": "S", "averageSeries": "S", "maxSeries": "S", "minSeries": "S", "diffSeries": "SS", "multiplySeries": "SS",
    "divideSeries": "SD", "asPercent": "S", "scale": "SN", "offset": "SN", "absolute": "S", "derivative": "S",
    "nonNegativeDerivative": "S", "perSecond": "S", "integral": "S", "keepLastValue": "S", "transformNull": "SN",
    "alias": "SA", "aliasByNode": "SI", "aliasSub": "SRT", "limit": "SC", "sortByName": "S", "highestCurrent": "SC",
    "lowestCurrent": "SC", "highestMax": "SC", "movingAverage": "SC", "summarize": "SVF", "hitcount": "SV",
    "group": "SS", "consolidateBy": "SM", "groupByNode": "SIG", "constantLine": "N",
    "exclude": "SR", "grep": "SR", "removeEmptySeries": "S", "removeAboveValue": "SN", "removeBelowValue": "SN",
    "currentAbove": "SN", "currentBelow": "SN", "averageAbove": "SN", "averageBelow": "SN", "maximumAbove": "SN",
    "maximumBelow": "SN", "minimumAbove": "SN", "minimumBelow": "SN", "highestAverage": "SC", "lowestAverage": "SC",
    "aliasByMetric": "S", "substr": "SI", "countSeries": "SS", "sumSeriesWithWildcards": "SI", "averageSeriesWithWildcards": "SI",
    "offsetToZero": "S", "invert": "S", "squareRoot": "S", "isNonNull": "S", "delay": "SC",
    "changed": "S", "pow": "SN", "scaleToSeconds": "SC", "cumulative": "S", "fallbackSeries": "SS", "color": "SA",
    "dashed": "S", "secondYAxis": "S", "stddevSeries": "SS", "percentileOfSeries": "SP", "nPercentile": "SP", "sortByTotal": "S",
    "groupByNodes": "SGI", "movingSum": "SC", "movingMin": "SC", "movingMax": "SC", "movingMedian": "SC",
    "removeAbovePercentile": "SP", "removeBelowPercentile": "SP", "log": "S", "integralByInterval": "SV", "aggregateLine": "S",
    "divideSeriesLists": "SS", "threshold": "N",
}
RANDOM_ARGUMENTS = {
    "N": ["2", "-1.5", "0.25", "10"], "D": ["a.b.c", "counter.hits", "sumSeries(a.b.*)"], "A": ["'x'"],
    "I": ["0", "1", "2", "-1"], "C": ["1", "2", "3"], "R": ["'^a\\\\.'", "'(\\\\w+)$'", "'b'"], "T": ["'x'", "'\\\\1_'", "''"],
    "V": ["'1min'", "'5min'", "'30s'"], "P": ["50", "90", "99.9"], "F": ["'sum'", "'avg'", "'max'", "'min'", "'last'"],
    "M": ["'max'", "'min'", "'sum'", "'average'"], "G": ["'sumSeries'", "'averageSeries'", "'maxSeries'"],
}


def random_target(rng, depth=0):
    if depth > 2 or rng.random() < 0.35:
        return rng.choice(["a.b.c", "a.b.d", "a.b.*", "a.*", "counter.hits", "a.{b,x}.[cd]"])
    name = rng.choice(sorted(RANDOM_SIGNATURES))
    args = [random_target(rng, depth + 1) if kind == "S" else rng.choice(RANDOM_ARGUMENTS[kind]) for kind in RANDOM_SIGNATURES[name]]
    return f"{name}({','.join(args)})"


def test_random_compositions_as_graphite(both):
    service, tenant, graphite, now = both
    rng = random.Random(20261122)
    queries = sorted({random_target(rng) for _ in range(600)})
    compared, differing = 0, []
    for query in queries:
        params = urllib.parse.urlencode({"target": query, "from": now - 1200, "until": now - 60, "format": "json"})
        if graphite.get("/render?" + params).status_code != 200:
            continue
        compared += 1
        try:
            compare(both, query)
        except AssertionError as error:
            differing.append(f"{query}: {str(error)[:300]}")
    assert compared > 300, compared
    assert not differing, "\n".join(differing)


# Segments of random globs under `g`: fnmatch's sets (a ']' first is a member, '^' is a plain character, a range
# that runs backwards holds nothing) and braces as Graphite's finders expand them (nested, empty choices).
GLOB_SEGMENTS = ["*", "?", "??", "a*", "*b", "?b", "[ab]", "[a-c]", "[!a]", "[0-9]*", "[A-Z]*", "[a-]*", "*[!-_]*",
                 "[]a]*", "[!]a]*", "[^a]*", "[b-a]", "[xb-a]", "{a,b}", "{a*,x?}", "{ab,ba,zz}", "*{1,2}*", "a[0-9]b*",
                 "{a-b,a_b}", "x{1}", "{b}"]
# Graphite's target grammar reads a brace it cannot parse (nested, or with an empty choice) as the end of the path
# and renders what came before (README: deliberate differences), so these are compared in find only.
FIND_ONLY_SEGMENTS = ["{a,{b,x1}}", "{a,{b,{x1,zz}}}", "a{b,}", "{,a}b", "x{,1}"]


def random_globs(seed, segments, count):
    rng = random.Random(seed)
    return sorted({"g." + ".".join(rng.choice(segments) for _ in range(rng.randint(1, 3))) for _ in range(count)})


def differences_from_graphite(both, path, queries, shape):
    """Asks both for `path` with each of `queries` (parameter dicts); the answers whose `shape` differ, or that
    Telewall did not answer with a 200."""
    service, tenant, graphite, _ = both
    differing = []
    for query in queries:
        params = urllib.parse.urlencode(query)
        expected = shape(json.loads(graphite.get(f"{path}?{params}").data))
        status, got, _ = service.api("GET", f"{path}?{params}", cookie=tenant.cookie)
        if status != 200 or shape(got) != expected:
            differing.append(f"{params}: {str(got if status != 200 else shape(got))[:150]} against {str(expected)[:150]}")
    return differing


def test_random_globs_find_as_graphite(both):
    """The names each finds (under a glob parent Graphite names nodes after the query and keeps one of a name:
    README, deliberate differences; so the names are compared, not the ids)."""
    queries = [{"query": q} for q in random_globs(7, GLOB_SEGMENTS + FIND_ONLY_SEGMENTS, 400)]
    differing = differences_from_graphite(both, "/metrics/find", queries, lambda nodes: sorted({n["text"] for n in nodes}))
    assert not differing, "\n".join(differing[:20])


def test_random_globs_render_as_graphite(both):
    now = both[3]
    queries = [{"target": q, "from": now - 300, "format": "json"} for q in random_globs(8, GLOB_SEGMENTS, 400)]
    differing = differences_from_graphite(both, "/render", queries, lambda series: sorted(s["target"] for s in series))
    assert not differing, "\n".join(differing[:20])


def test_random_globs_expand_as_graphite(both):
    """/metrics/expand, with leavesOnly and groupByExpr (each query's own paths, keyed by it) as Graphite answers."""
    options = [{}, {"leavesOnly": "1"}, {"groupByExpr": "1"}, {"leavesOnly": "1", "groupByExpr": "1"}]
    queries = [{"query": q, **options[n % len(options)]}
               for n, q in enumerate(random_globs(9, GLOB_SEGMENTS + FIND_ONLY_SEGMENTS, 300))]
    differing = differences_from_graphite(both, "/metrics/expand", queries, lambda answer: answer)
    assert not differing, "\n".join(differing[:20])
