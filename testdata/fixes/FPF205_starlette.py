# fix-options: --unsafe-fixes
"""A Starlette-only module with non-ASCII text: FileResponse comes from starlette.responses. « fichier »"""
import io
from pathlib import Path

from starlette.responses import StreamingResponse

RAPPORTS = Path("/srv/rapports")


def télécharger(request):
    return StreamingResponse(io.BytesIO((RAPPORTS / "é.csv").read_bytes()), media_type="text/csv")
