# VS Code in my browser against the Kaggle GPU
!curl -Lk 'https://code.visualstudio.com/sha/download?build=stable&os=cli-alpine-x64' --output vscode_cli.tar.gz
!tar -xf vscode_cli.tar.gz
!./code tunnel --accept-server-license-terms --name kaggle-p100
