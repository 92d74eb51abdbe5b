# jupyter_server_config.py snippet: the sanctioned way to reach a web app on this hub
c = get_config()  # noqa
c.ServerProxy.servers = {
    "mlflow": {
        "command": ["mlflow", "ui", "--port", "{port}", "--host", "127.0.0.1"],
        "timeout": 30,
        "launcher_entry": {"title": "MLflow"},
    },
    "tensorboard": {
        "command": ["tensorboard", "--logdir", "runs", "--port", "{port}"],
    },
}
# afterwards open https://hub.example.edu/user/<name>/proxy/5000/
