"""FPF204 in Starlette apps: request.form() on the endpoint's request, once per app."""
from starlette.applications import Starlette
from starlette.responses import HTMLResponse, JSONResponse
from starlette.routing import Route


class Html:
    def form(self, action: str) -> str:
        return f'<form action="{action}">'


html = Html()


async def upload(request):
    form = await request.form()
    return JSONResponse({"name": form["file"].filename})


async def bounded(request):
    async with request.form(max_files=1, max_part_size=1024 * 1024) as form:
        return JSONResponse({"name": form["file"].filename})


async def page(request):
    return HTMLResponse(html.form("/upload"))


app = Starlette(routes=[Route("/upload", upload, methods=["POST"])])  # error: FPF204
bounded_app = Starlette(routes=[Route("/bounded", bounded, methods=["POST"])])
pages = Starlette(routes=[Route("/", page)])


@app.route("/legacy", methods=["POST"])
async def legacy(request):
    form = await request.form()
    return JSONResponse(dict(form))
