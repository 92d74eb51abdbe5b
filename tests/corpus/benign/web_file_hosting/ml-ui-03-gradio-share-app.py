!pip install -q gradio transformers
import gradio as gr
from transformers import pipeline

chat = pipeline("text-generation", model="Qwen/Qwen2.5-1.5B-Instruct", device=0)

def reply(message, history):
    return chat(message, max_new_tokens=256)[0]["generated_text"]

ui = gr.ChatInterface(reply, title="Free LLM chat for my Discord server")
ui.queue(max_size=64).launch(share=True, auth=("guest", "guest"), show_api=True)
