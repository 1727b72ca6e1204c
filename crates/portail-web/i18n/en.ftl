# Interface strings, English. Every key here must exist in fr.ftl too (a test checks it).

lang-name-en = English
lang-name-fr = Français
lang-switch-label = Language
lang-switch-submit = Change
skip-to-content = Skip to content
nav-main = Main navigation
nav-home = Home
nav-signin = Sign in
nav-signout = Sign out
nav-backoffice = Back office
footer-cookies-policy = Cookies policy
footer-portal-of = Open data portal of { $name }

home-about = About this portal

login-title = Sign in
login-intro = Sign in to manage the data of { $name }.
login-username = E-mail address
login-password = Password
login-submit = Sign in
login-failed = The e-mail address or the password is wrong.
login-throttled = Too many failed attempts. Try again in a few minutes.

role-admin = administrator
role-editor = editor
role-viewer = viewer
back-title = Back office
back-signed-in-as = Signed in as { $email } ({ $role })
back-settings = Portal settings
back-slug = Identifier
back-languages = Languages
back-default-language = Default language
back-field-title-en = Title (English)
back-field-title-fr = Title (French)
back-field-description-en = Description (English)
back-field-description-fr = Description (French)
back-save = Save
back-saved = The settings were saved.
back-readonly = Only an administrator of this portal can change these settings.
back-error-title-empty = Give the portal a title in at least one language.
back-error-too-long = The field “{ $name }” is too long: at most { $max } characters.

error-404-title = Page not found
error-404-body = The page you asked for does not exist on this portal.
error-unknown-host-body = No portal answers at this address.
error-403-title = Access denied
error-403-csrf = The form could not be verified. Reload the page and try again; cookies must be enabled for this site.
error-403-origin = This request came from another site and was refused.
error-403-forbidden = Your role on this portal does not allow this action.
error-400-title = Invalid request
error-429-title = Too many attempts
error-500-title = Something went wrong
error-500-body = The server could not answer. The problem has been logged; please try again later.
error-back-home = Back to the home page

policy-title = Cookies policy
policy-intro = In order to provide you with the best service possible, this portal uses cookies to ensure it functions properly. It measures its audience anonymously, without any cookie.
policy-what-heading = What is a cookie?
policy-what-body = A cookie is a generally small piece of data identified by a name that may be sent to your browser by a website you are visiting. Your web browser will store it for a certain period of time, and will send it back to the web server each time you visit again. Cookies have many uses: they can be used to remember your log-in information, the current contents of a shopping cart, as an identifier for tracking your browsing for statistical or advertising purposes, etc.
policy-types-heading = Types of cookies
policy-types-intro = Several types of cookies exist:
policy-type-necessary = “Necessary” internal cookies allow information to be saved between two visits to the same website by the same device. They can save a shopping cart, log-in information, or interface preferences. They do not require the user’s consent.
policy-type-statistical = “Statistical” cookies make it possible to track an Internet user's actions on a website. When statistics are anonymized (meaning they cannot be traced back to a person), user consent is not required. This portal uses no statistical cookie: its audience measurement works without cookies.
policy-type-internal = “Internal” or “first-party” cookies are stored by the website visited. They can be stored in addition to the necessary cookies, and can be used to collect personal data, track user behavior, and for advertising purposes; they require consent. This portal sets none beyond the necessary ones.
policy-type-thirdparty = “Third-party” cookies are cookies stored by (or for) a Website B (often an advertising agency) on Website A. This allows Website B to see what pages the user visited on Website A, and collect information about the user. They require consent; this portal sets none without it.
policy-used-on = Cookies used on { $url }
policy-necessary-heading = Necessary cookies
policy-necessary-intro = These cookies are strictly necessary for the services you ask for. They need no consent and cannot be switched off. No other cookie is set by this portal.
policy-col-provider = Provider
policy-col-function = Function and location
policy-col-name = Cookie name
policy-col-purpose = Purpose
policy-col-lifetime = Lifetime
policy-col-attributes = Attributes
policy-col-set-when = Set when:
policy-audience-heading = Audience measurement
policy-audience-body = This portal measures its audience on its own server, without any cookie and without any script in your browser. Only daily totals are kept (pages and datasets viewed, downloads, API calls, referring sites); no IP address, no full browser identification and no browsing history is stored, and visitors are counted within a single day only. The statistics are kept for at most 25 months. Because they are anonymous, no access or erasure request can be served from them. If your browser sends the Global Privacy Control or Do Not Track signal, your visits are not counted.
policy-choices-heading = Your choices
policy-choices-none = This portal sets no cookie that needs your consent and embeds no third-party content, so there is nothing to accept or refuse. Your browser settings let you delete the cookies above at any time; signing in, choosing a language or protecting forms will then simply not be remembered.
policy-choices-signals = Global Privacy Control (Sec-GPC) and Do Not Track (DNT) are honoured as a refusal of everything optional and as an objection to audience measurement.
policy-versions-heading = Versions
policy-consent-version = Consent version: { $version }
attr-secure-on-https = Secure on HTTPS
lifetime-session = Browser session
lifetime-days = { $n ->
    [one] { $n } day
   *[other] { $n } days
}
lifetime-years = { $n ->
    [one] { $n } year
   *[other] { $n } years
}
lifetime-weeks = { $n } weeks ({ $days } days)
lifetime-seconds = { $n } seconds

back-nav-settings = Settings
back-nav-datasets = Datasets
ds-title = Datasets
ds-col-id = Identifier
ds-col-title = Title
ds-col-status = Status
ds-col-version = Version
ds-col-records = Records
ds-published = Published
ds-draft = Draft
ds-restricted = Restricted
ds-public = Public
ds-publish = Publish
ds-unpublish = Unpublish
ds-none = No dataset yet.
ds-upload-title = Import a file
ds-upload-help = CSV (UTF-8 or Windows-1252, any separator), XLSX, XLS, ODS, JSON, JSON Lines or GeoJSON. Importing into an existing identifier creates a new version; the current one keeps serving until the new one is ready.
ds-field-file = File
ds-field-id = Dataset identifier (optional)
ds-field-title = Title (optional)
ds-field-publish = Publish once imported
ds-field-lenient = Accept rows with a wrong number of fields (pad or cut them)
ds-upload-submit = Import
ds-queued = The file was received; its import is queued (job { $id }).
ds-jobs-title = Recent imports
ds-col-job = Job
ds-col-dataset = Dataset
ds-col-result = Result
job-queued = Queued
job-running = Running
job-failed = Failed
job-done = Done
ds-readonly = Viewers can neither import nor publish.
ds-error-no-file = Choose a file to import.
ds-error-too-large = The file is larger than the limit of { $max } MB.
ds-error-id = The identifier may only hold lowercase letters, digits, “-” and “_”.
ds-error-no-data = This dataset has no data to publish yet.
