# An inference API of our own, shared with friends through ngrok: the share-link case (audit at most; the
# policy in the web_file_hosting pack). Moved here from bad/ when that policy was set.
!pip install -q pyngrok fastapi uvicorn
import threading, uvicorn
from fastapi import FastAPI
from pyngrok import ngrok
from google.colab import userdata

app = FastAPI()

@app.get("/predict")
def predict(text: str):
    return {"label": "positive" if "good" in text else "negative"}

threading.Thread(target=uvicorn.run, kwargs={"app": app, "port": 8000}, daemon=True).start()
ngrok.set_auth_token(userdata.get("NGROK_TOKEN"))
public = ngrok.connect(8000, bind_tls=True)
print("Public URL:", public.public_url)
