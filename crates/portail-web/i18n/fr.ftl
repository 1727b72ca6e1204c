# Textes de l'interface, en français. Chaque clé doit aussi exister dans en.ftl (un test le vérifie).

lang-name-en = English
lang-name-fr = Français
lang-switch-label = Langue
lang-switch-submit = Changer
skip-to-content = Aller au contenu
nav-main = Navigation principale
nav-home = Accueil
nav-signin = Se connecter
nav-signout = Se déconnecter
nav-backoffice = Back office
footer-cookies-policy = Charte cookies
footer-portal-of = Portail de données ouvertes de { $name }

home-about = À propos de ce portail

login-title = Connexion
login-intro = Connectez-vous pour gérer les données de { $name }.
login-username = Adresse e-mail
login-password = Mot de passe
login-submit = Se connecter
login-failed = L'adresse e-mail ou le mot de passe est incorrect.
login-throttled = Trop de tentatives échouées. Réessayez dans quelques minutes.

role-admin = administrateur
role-editor = éditeur
role-viewer = lecteur
back-title = Back office
back-signed-in-as = Connecté en tant que { $email } ({ $role })
back-settings = Paramètres du portail
back-slug = Identifiant
back-languages = Langues
back-default-language = Langue par défaut
back-field-title-en = Titre (anglais)
back-field-title-fr = Titre (français)
back-field-description-en = Description (anglais)
back-field-description-fr = Description (français)
back-save = Enregistrer
back-saved = Les paramètres ont été enregistrés.
back-readonly = Seul un administrateur de ce portail peut modifier ces paramètres.
back-error-title-empty = Donnez au portail un titre dans au moins une langue.
back-error-too-long = Le champ « { $name } » est trop long : { $max } caractères au plus.

error-404-title = Page introuvable
error-404-body = La page demandée n'existe pas sur ce portail.
error-unknown-host-body = Aucun portail ne répond à cette adresse.
error-403-title = Accès refusé
error-403-csrf = Le formulaire n'a pas pu être vérifié. Rechargez la page et réessayez ; les cookies doivent être activés pour ce site.
error-403-origin = Cette requête venait d'un autre site et a été refusée.
error-403-forbidden = Votre rôle sur ce portail ne permet pas cette action.
error-400-title = Requête invalide
error-429-title = Trop de tentatives
error-500-title = Une erreur est survenue
error-500-body = Le serveur n'a pas pu répondre. Le problème a été consigné ; merci de réessayer plus tard.
error-back-home = Retour à l'accueil

policy-title = Charte cookies
policy-intro = Afin de vous proposer le meilleur service possible, ce portail utilise des cookies pour assurer son bon fonctionnement. Il mesure sa fréquentation de façon anonyme, sans aucun cookie.
policy-what-heading = Qu'est-ce qu'un cookie ?
policy-what-body = Un « cookie » est une suite d'informations, généralement de petite taille et identifiée par un nom, qui peut être transmise à votre navigateur par un site web sur lequel vous vous connectez. Votre navigateur web la conservera pendant une certaine durée, et la renverra au serveur web chaque fois que vous vous y reconnecterez. Les cookies ont de multiples usages : ils peuvent servir à mémoriser vos identifiants de connexion, le contenu courant d'un panier d'achat, un identifiant permettant de tracer votre navigation pour des finalités statistiques ou publicitaires, etc.
policy-types-heading = Les différents types de cookies
policy-types-intro = Il existe plusieurs types de cookies :
policy-type-necessary = Les cookies « nécessaires », internes, permettent d'enregistrer des informations entre deux consultations d'un même site web sur un même appareil. Ils permettent d'enregistrer un panier d'achat, des identifiants de connexion ou encore des éléments de personnalisation de l'interface. Ils ne requièrent pas de consentement de la part de l'utilisateur.
policy-type-statistical = Les cookies « statistiques » permettent de suivre les actions d'un internaute sur un site web. Lorsque les statistiques sont anonymes (c'est-à-dire ne permettent pas de retrouver une personne), le consentement de l'utilisateur n'est pas nécessaire. Ce portail n'utilise aucun cookie statistique : sa mesure d'audience fonctionne sans cookie.
policy-type-internal = Les cookies « internes » ou « first-party » sont déposés par le site consulté. Ils peuvent être déposés en plus des cookies nécessaires et peuvent être utilisés pour collecter des données personnelles, suivre le comportement de l'utilisateur et servir à des finalités publicitaires ; ils requièrent un consentement. Ce portail n'en dépose aucun au-delà des cookies nécessaires.
policy-type-thirdparty = Les cookies dits « tiers » ou « third party » sont des cookies déposés par (ou pour) un site B (souvent une régie publicitaire) sur un site A : cela permet au site B de voir quelles pages ont été visitées sur le site A par un utilisateur et de collecter des informations sur lui. Ils requièrent un consentement ; ce portail n'en dépose aucun sans lui.
policy-used-on = Cookies utilisés sur { $url }
policy-necessary-heading = Cookies nécessaires
policy-necessary-intro = Ces cookies sont strictement nécessaires aux services que vous demandez. Ils ne requièrent pas de consentement et ne peuvent pas être désactivés. Ce portail ne dépose aucun autre cookie.
policy-col-provider = Prestataire
policy-col-function = Service et emplacement
policy-col-name = Nom du cookie
policy-col-purpose = Finalité
policy-col-lifetime = Durée de vie
policy-col-attributes = Attributs
policy-col-set-when = Déposé :
policy-audience-heading = Mesure d'audience
policy-audience-body = Ce portail mesure sa fréquentation sur son propre serveur, sans aucun cookie et sans aucun script dans votre navigateur. Seuls des totaux journaliers sont conservés (pages et jeux de données consultés, téléchargements, appels à l'API, sites d'origine) ; aucune adresse IP, aucune identification complète du navigateur et aucun historique de navigation n'est enregistré, et les visiteurs ne sont comptés qu'au sein d'une même journée. Les statistiques sont conservées 25 mois au plus. Comme elles sont anonymes, aucune demande d'accès ou d'effacement ne peut être satisfaite à partir d'elles. Si votre navigateur envoie le signal Global Privacy Control ou Do Not Track, vos visites ne sont pas comptées.
policy-choices-heading = Vos choix
policy-choices-none = Ce portail ne dépose aucun cookie soumis à votre consentement et n'intègre aucun contenu tiers : il n'y a donc rien à accepter ni à refuser. Les réglages de votre navigateur vous permettent de supprimer à tout moment les cookies ci-dessus ; la connexion, le choix de la langue ou la protection des formulaires ne seront alors simplement plus mémorisés.
policy-choices-signals = Les signaux Global Privacy Control (Sec-GPC) et Do Not Track (DNT) valent refus de tout ce qui est facultatif et opposition à la mesure d'audience.
policy-versions-heading = Versions
policy-consent-version = Version du consentement : { $version }
attr-secure-on-https = Secure en HTTPS
lifetime-session = Session du navigateur
lifetime-days = { $n ->
    [one] { $n } jour
   *[other] { $n } jours
}
lifetime-years = { $n ->
    [one] { $n } an
   *[other] { $n } ans
}
lifetime-weeks = { $n } semaines ({ $days } jours)
lifetime-seconds = { $n } secondes

back-nav-settings = Paramètres
back-nav-datasets = Jeux de données
ds-title = Jeux de données
ds-col-id = Identifiant
ds-col-title = Titre
ds-col-status = Statut
ds-col-version = Version
ds-col-records = Enregistrements
ds-published = Publié
ds-draft = Brouillon
ds-restricted = Restreint
ds-public = Public
ds-publish = Publier
ds-unpublish = Dépublier
ds-none = Aucun jeu de données pour l'instant.
ds-upload-title = Importer un fichier
ds-upload-help = CSV (UTF-8 ou Windows-1252, tout séparateur), XLSX, XLS, ODS, JSON, JSON Lines ou GeoJSON. Importer sous un identifiant existant crée une nouvelle version ; la version actuelle reste servie jusqu'à ce que la nouvelle soit prête.
ds-field-file = Fichier
ds-field-id = Identifiant du jeu de données (facultatif)
ds-field-title = Titre (facultatif)
ds-field-publish = Publier une fois importé
ds-field-lenient = Accepter les lignes au mauvais nombre de champs (les compléter ou les couper)
ds-upload-submit = Importer
ds-queued = Le fichier a été reçu ; son import est en file d'attente (tâche { $id }).
ds-jobs-title = Imports récents
ds-col-job = Tâche
ds-col-dataset = Jeu de données
ds-col-result = Résultat
job-queued = En attente
job-running = En cours
job-failed = Échec
job-done = Terminé
ds-readonly = Les lecteurs ne peuvent ni importer ni publier.
ds-error-no-file = Choisissez un fichier à importer.
ds-error-too-large = Le fichier dépasse la limite de { $max } Mo.
ds-error-id = L'identifiant ne peut contenir que des minuscules, des chiffres, « - » et « _ ».
ds-error-no-data = Ce jeu de données n'a pas encore de données à publier.
