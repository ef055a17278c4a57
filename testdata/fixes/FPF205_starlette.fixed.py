# fix-options: --unsafe-fixes
"""A Starlette-only module with non-ASCII text: FileResponse comes from starlette.responses. « fichier »"""
from pathlib import Path
from starlette.responses import FileResponse

RAPPORTS = Path("/srv/rapports")


def télécharger(request):
    return FileResponse(RAPPORTS / "é.csv", media_type="text/csv")
