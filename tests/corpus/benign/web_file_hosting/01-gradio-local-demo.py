# Course demo: image classifier with gradio, shown inline in the notebook
!pip install -q gradio timm
import gradio as gr, timm, torch
model = timm.create_model("resnet50", pretrained=True).eval()
labels = timm.data.ImageNetInfo().label_names()

def classify(img):
    x = timm.data.create_transform(**timm.data.resolve_data_config({}, model=model))(img).unsqueeze(0)
    probs = model(x).softmax(-1)[0]
    top = probs.topk(5)
    return {labels[i]: float(p) for p, i in zip(top.values, top.indices)}

demo = gr.Interface(fn=classify, inputs=gr.Image(type="pil"), outputs=gr.Label(num_top_classes=5))
demo.launch()
# on a shared hub keep it private: demo.launch(share=True) would publish it
demo.launch(share=False, debug=True, inline=True)
