"""A file with a UTF-8 BOM: « limite »."""
from fastapi import FastAPI, HTTPException, UploadFile

app = FastAPI(max_body_size=1 << 30)
LIMITE = 2_000_000


@app.post("/téléverser")
async def téléverser(fichier: UploadFile):
    données = await fichier.read()  # « tout »
    taille = len(données)
    if taille > LIMITE:
        raise HTTPException(413, "« trop grand »")
    return taille
