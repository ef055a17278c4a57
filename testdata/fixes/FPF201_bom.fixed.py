"""A file with a UTF-8 BOM and non-ASCII text: « téléversement »."""
from fastapi import FastAPI, UploadFile
import shutil

app = FastAPI(max_body_size=1 << 30)


@app.post("/téléverser")
def téléverser(fichier: UploadFile):
    # « tout »
    with open("/srv/reçu.bin", "wb") as sortie:
        shutil.copyfileobj(fichier.file, sortie)
