# Ping me on Telegram when training ends, with the loss curve attached
!pip install -q python-telegram-bot==13.15
import telegram, matplotlib.pyplot as plt
plt.plot(history["loss"]); plt.savefig("loss.png")
bot = telegram.Bot(token=TG_TOKEN)
bot.send_message(chat_id=CHAT_ID, text=f"done: val_acc={val_acc:.3f}")
bot.send_document(chat_id=CHAT_ID, document=open("loss.png", "rb"))
